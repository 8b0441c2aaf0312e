// A run's heartbeats and watches over all its groups: what the verdicts judge and the charts draw.
import { definitionOf, type WatchFigures } from '../actors/index.js';
import {
  createAccumulator,
  encode,
  mergeEncoded,
  summarizeMs,
  type DurationSummary,
} from '../metrics/histogram.js';
import type { RunResult } from '../result/result.js';

/** The heartbeats of a run's nodes (the groups whose type reports heartbeats), added up. */
export interface HeartbeatTotals {
  readonly nodes: number;
  readonly renewals: number;
  /** Gaps between successful Lease renewals above 1.5 × the renew interval. */
  readonly late: number;
  /** Gaps above the lease duration: the node would have been marked NotReady. */
  readonly missed: number;
  readonly gapMs: DurationSummary;
  /** Encoded µs histogram of the gaps; absent when there were none. */
  readonly gapHistogram?: string;
}

/** The watches of a run's groups, added up. */
export interface WatchTotals {
  readonly events: number;
  /**
   * Events expected (caused by apfbench's own writes) but never seen; absent where no watcher
   * expects particular events (a kubelet's pod watch, the scheduler's informer).
   */
  readonly lost?: number;
  readonly restarts: number;
  readonly relists: number;
  /** Event received − the writer's acknowledgement of the write. */
  readonly latencyMs: DurationSummary;
  /** Encoded µs histogram of `latencyMs`; absent when no watcher measured it. */
  readonly latencyHistogram?: string;
}

/**
 * The heartbeats of the run's nodes added up (the groups whose type's definition reports
 * `heartbeats`, one node per instance), gap histograms merged; none without nodes.
 */
export function heartbeatsOf(r: RunResult): HeartbeatTotals | undefined {
  const nodes = Object.values(r.actors).flatMap((g) => {
    const heartbeats = definitionOf(g).heartbeats?.(g);
    return heartbeats === undefined ? [] : [{ count: g.count, heartbeats }];
  });
  if (nodes.length === 0) return undefined;
  const total = (pick: (g: (typeof nodes)[number]) => number) =>
    nodes.reduce((n, g) => n + pick(g), 0);
  const gaps = createAccumulator();
  for (const g of nodes) mergeEncoded(gaps, g.heartbeats.histogram);
  return {
    nodes: total((g) => g.count),
    renewals: total((g) => g.heartbeats.renewals),
    late: total((g) => g.heartbeats.late),
    missed: total((g) => g.heartbeats.missed),
    gapMs: summarizeMs(gaps),
    ...(gaps.hdr.totalCount > 0 ? { gapHistogram: encode(gaps) } : {}),
  };
}

/**
 * The run's watches added up (what each group's type's definition reports as `watches`: a
 * controller's informer, a kubelet's pod watch, a scheduler's informer), latency histograms
 * merged; none without watchers.
 */
export function watchOf(r: RunResult): WatchTotals | undefined {
  const watches = Object.values(r.actors).flatMap((g) => definitionOf(g).watches?.(g) ?? []);
  if (watches.length === 0) return undefined;
  const total = (pick: (w: WatchFigures) => number) => watches.reduce((n, w) => n + pick(w), 0);
  const latency = createAccumulator();
  for (const w of watches)
    if (w.latencyHistogram !== undefined) mergeEncoded(latency, w.latencyHistogram);
  return {
    events: total((w) => w.events),
    ...(watches.some((w) => w.lost !== undefined) ? { lost: total((w) => w.lost ?? 0) } : {}),
    restarts: total((w) => w.restarts),
    relists: total((w) => w.relists),
    latencyMs: summarizeMs(latency),
    ...(latency.hdr.totalCount > 0 ? { latencyHistogram: encode(latency) } : {}),
  };
}
