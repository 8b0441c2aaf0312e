// For the run plan: first attempts only (retries and requests answering other groups come on
// top), means for Poisson arrivals and jittered periods, sends intended before `untilMs`.
import type { ControllerActorGroup } from './schema.js';
import { controllerExpectedWrites, controllerSets } from './placement.js';

/**
 * At the start, each set's objects (created by its first instance) and every instance's informer
 * LIST, page by page; then one PUT per reconcile (from the informer's cache: no GET unless it
 * conflicts).
 */
export function controllerExpectedRequests(group: ControllerActorGroup, untilMs: number): number {
  if (untilMs <= 0) return 0;
  const pages = Math.max(1, Math.ceil(group.objects / group.pageSize));
  return (
    controllerSets(group) * group.objects +
    group.count * pages +
    controllerExpectedWrites(group, untilMs)
  );
}
