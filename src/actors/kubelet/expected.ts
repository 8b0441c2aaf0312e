// For the run plan: first attempts only (retries and requests answering other groups come on
// top), means for Poisson arrivals and jittered periods, sends intended before `untilMs`.
import type { KubeletActorGroup } from './schema.js';
import { JITTER_FACTOR, startOffsetMs } from './timing.js';

/**
 * Per node, from its start (spread over one renew interval): the registration, the first lease
 * sync (a GET, then the create), a renewal per later tick of the jittered renew period, a status
 * report on the status loop's first tick and then per report interval (rounded up to its ticks)
 * and the pod informer's LIST.
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
    const status = Math.ceil(span / reportMs);
    total += registration + lease + status + (group.watchPods ? 1 : 0);
  }
  return total;
}
