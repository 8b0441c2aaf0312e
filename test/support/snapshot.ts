import { EMPTY_ENCODED, createRecorder, encode, record } from '../../src/metrics/histogram.js';
import type { IntervalSnapshot } from '../../src/metrics/timeline-snapshot.js';

/** An encoded HDR histogram of these µs values. */
export function encoded(values: readonly number[]): string {
  const h = createRecorder();
  values.forEach((v) => record(h, v));
  return encode(h);
}

/** A worker's snapshot of group `tenant`, measured window, interval 0, empty but for `overrides`. */
export function snapshot(overrides: Partial<IntervalSnapshot>): IntervalSnapshot {
  return {
    intervalIndex: 0,
    group: 'tenant',
    window: 'measured',
    sent: 0,
    completed: 0,
    dropped: 0,
    byCode: {},
    errors: 0,
    retries: 0,
    throttled: 0,
    latency: EMPTY_ENCODED,
    serviceTime: EMPTY_ENCODED,
    scheduleLag: EMPTY_ENCODED,
    clamped: 0,
    byKey: {},
    byPriorityLevel: {},
    byFlowSchema: {},
    counters: {},
    measures: {},
    ...overrides,
  };
}
