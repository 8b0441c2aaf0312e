// What the faults of a run did: their record in result.json, and the relist storm after each,
// read from the timeline. Pure.
import { z } from 'zod';
import type { TimelineRow } from './timeline-aggregator.js';

/**
 * One fault as it happened. Offsets are ms from the measured window's start (`measuredFrom`),
 * as the scenario's `at` is; times are wall clock, ISO-8601 with ms.
 */
export const faultRecordSchema = z.object({
  kind: z.enum(['pause-apiserver', 'restart-apiserver', 'stop-etcd']),
  /** The scenario's `at` and `duration`. */
  scheduledMs: z.number(),
  durationMs: z.number(),
  /**
   * When the fault began (SIGSTOP or SIGKILL sent) and ended (SIGCONT sent; for a restart, the
   * restarted server ready again).
   */
  startedAt: z.string(),
  endedAt: z.string(),
  fromMs: z.number(),
  toMs: z.number(),
  /** Why the fault could not be done or undone (the server did not come back, say). */
  error: z.string().optional(),
});
export type FaultRecord = z.infer<typeof faultRecordSchema>;

/** The timeline's interval in seconds: the smallest step between two rows' start times (1 if none). */
export function timelineStep(rows: readonly Pick<TimelineRow, 't'>[]): number {
  const ts = [...new Set(rows.map((row) => row.t))].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < ts.length; i++) step = Math.min(step, ts[i]! - ts[i - 1]!);
  return Number.isFinite(step) ? step : 1;
}

/** Counters (per timeline row) that count a client re-establishing its view: LISTs after 410, watches reopened. */
export const REWATCH_COUNTERS = ['watch.relists', 'watch.restarts'] as const;

/** The clients' recovery around one fault, from the timeline (t in s since the load started). */
export interface FaultImpact {
  /** The most relists + reopened watches in one interval before the fault: the usual level. */
  readonly baseline: number;
  /** Start of the storm: the fault's start, in s since the load started. */
  readonly from: number;
  /**
   * The end of the last interval, from the fault on, above the baseline, after which every
   * interval up to the next fault (or the run's end) stays at or under it; the fault's end when
   * none rose above it. Undefined when the last interval of the timeline is still above it.
   */
  readonly backAt: number | undefined;
  /** Relists and reopened watches from `from` to `backAt` (or the end), summed over groups. */
  readonly relists: number;
  readonly rewatches: number;
  /** The busiest interval's relists + reopened watches per second. */
  readonly peakPerSecond: number;
  /** 429s per group from `from` to `backAt` (or the end); groups with none are left out. */
  readonly throttledByGroup: Readonly<Record<string, number>>;
}

/**
 * The relist storm after a fault lasting from `from` to `to` (s since the load started): how
 * long the clients' relists and reopened watches stayed above their level before the fault, and
 * who got 429s meanwhile. `until` bounds the search (the next fault's start).
 */
export function faultImpact(
  rows: readonly TimelineRow[],
  fault: { readonly from: number; readonly to: number },
  until = Infinity,
): FaultImpact {
  const ts = [...new Set(rows.map((r) => r.t))].sort((a, b) => a - b);
  const step = timelineStep(rows);
  const perInterval = new Map<number, { relists: number; rewatches: number }>();
  for (const r of rows) {
    const c = perInterval.get(r.t) ?? { relists: 0, rewatches: 0 };
    c.relists += r.counters?.['watch.relists'] ?? 0;
    c.rewatches += r.counters?.['watch.restarts'] ?? 0;
    perInterval.set(r.t, c);
  }
  const count = (t: number) => {
    const c = perInterval.get(t);
    return c === undefined ? 0 : c.relists + c.rewatches;
  };
  // Intervals wholly before the fault set the level; the one it starts in belongs to it.
  const baseline = Math.max(0, ...ts.filter((t) => t + step <= fault.from).map(count));
  const after = ts.filter((t) => t + step > fault.from && t < until);
  const above = after.filter((t) => count(t) > baseline);
  const last = above.at(-1);
  const lastInterval = after.at(-1);
  const backAt =
    last === undefined
      ? fault.to
      : last === lastInterval
        ? undefined
        : Math.max(fault.to, last + step);
  const end = backAt ?? Infinity;
  const inStorm = after.filter((t) => t < end);
  const throttledByGroup: Record<string, number> = {};
  for (const r of rows) {
    if (r.throttled > 0 && r.t + step > fault.from && r.t < end && r.t < until) {
      throttledByGroup[r.group] = (throttledByGroup[r.group] ?? 0) + r.throttled;
    }
  }
  return {
    baseline,
    from: fault.from,
    backAt,
    relists: inStorm.reduce((n, t) => n + (perInterval.get(t)?.relists ?? 0), 0),
    rewatches: inStorm.reduce((n, t) => n + (perInterval.get(t)?.rewatches ?? 0), 0),
    peakPerSecond: Math.max(0, ...inStorm.map(count)) / step,
    throttledByGroup,
  };
}
