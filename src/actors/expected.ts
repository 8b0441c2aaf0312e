// How many requests each actor type sends on its own schedule, for the run plan. First attempts
// only: retries (429s, conflicts, failed syncs) come on top, and so do requests answering other
// groups (a kubelet's pod status reports, a scheduler's bindings). Means for Poisson arrivals and
// jittered periods. Each formula counts the sends intended before `untilMs` ms of the run, so
// that the warm-up's share is the same formula at the warm-up's end.
import { meanCount } from '../timing/schedule.js';
import type {
  ControllerActorGroup,
  KubeletActorGroup,
  PodChurnActorGroup,
  TenantActorGroup,
} from '../scenario/index.js';
import { controllerExpectedWrites, controllerSets } from './controller.js';
import { JITTER_FACTOR, startOffsetMs } from './kubelet.js';
import { tenantSchedule } from './tenant.js';

/** Every instance's rate or ramp; the phase that spreads them does not change the mean. */
export function tenantExpectedRequests(group: TenantActorGroup, untilMs: number): number {
  const schedule = tenantSchedule(group, { index: 0, count: group.count }, untilMs);
  return group.count * meanCount(schedule, untilMs);
}

/**
 * Per node, from its start (spread over one renew interval): the registration, the first lease
 * sync (a GET, then the create), a renewal per later tick of the jittered renew period, a status
 * report per report interval (on the status loop's next tick after it) and the pod informer's
 * LIST.
 */
export function kubeletExpectedRequests(group: KubeletActorGroup, untilMs: number): number {
  const meanJitter = 1 + JITTER_FACTOR / 2;
  const renewMs = group.renewInterval * meanJitter;
  const tickMs = group.statusUpdateFrequency * meanJitter;
  const reportMs = Math.ceil(group.statusReportInterval / tickMs) * tickMs;
  let total = 0;
  for (let index = 0; index < group.count; index++) {
    const span = untilMs - startOffsetMs(index, group.count, group.renewInterval, 0.5);
    if (span <= 0) continue;
    const registration = 1;
    const lease = 2 + Math.ceil(span / renewMs) - 1;
    const status = Math.ceil(span / reportMs) - 1;
    total += registration + lease + status + (group.watchPods ? 1 : 0);
  }
  return total;
}

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

/** A create per scheduled pod and a delete per pod whose lifetime ends before `untilMs`. */
export function podChurnExpectedRequests(group: PodChurnActorGroup, untilMs: number): number {
  const creates = Math.max(0, untilMs);
  const deletes = Math.max(0, untilMs - group.lifetime);
  return (group.count * group.rate * (creates + deletes)) / 1000;
}
