// A run's heartbeats and watches over all its groups: what the verdicts judge and the charts draw.
import type { ActorType } from '../actors/index.js';
import {
  createAccumulator,
  encode,
  mergeEncoded,
  summarizeMs,
  type DurationSummary,
} from '../metrics/histogram.js';
import type { ActorGroupResultOf, RunResult } from '../result/result.js';

/** The heartbeats of a run's kubelet groups, added up. */
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

const groupsOf = <T extends ActorType>(r: RunResult, type: T): ActorGroupResultOf<T>[] =>
  Object.values(r.actors).filter((g): g is ActorGroupResultOf<T> => g.type === type);

/** The heartbeats of the run's kubelet groups added up, gap histograms merged; none without. */
export function heartbeatsOf(r: RunResult): HeartbeatTotals | undefined {
  const kubelets = groupsOf(r, 'kubelet');
  if (kubelets.length === 0) return undefined;
  const total = (pick: (g: (typeof kubelets)[number]) => number) =>
    kubelets.reduce((n, g) => n + pick(g), 0);
  const gaps = createAccumulator();
  for (const g of kubelets) mergeEncoded(gaps, g.heartbeats.histogram);
  return {
    nodes: total((g) => g.count),
    renewals: total((g) => g.heartbeats.renewals),
    late: total((g) => g.heartbeats.late),
    missed: total((g) => g.heartbeats.missed),
    gapMs: summarizeMs(gaps),
    ...(gaps.hdr.totalCount > 0 ? { gapHistogram: encode(gaps) } : {}),
  };
}

/** A watch as `watchOf` adds it up. */
interface GroupWatch {
  readonly events: number;
  readonly restarts: number;
  readonly relists: number;
  readonly lost?: number;
  readonly latencyHistogram?: string;
}

/**
 * The run's watches added up, latency histograms merged; none without watchers. A controller
 * group watches (and counts the events it expected and lost, and their latency), a kubelet group
 * watches its pods when told to, a scheduler group's informer watches pods.
 */
export function watchOf(r: RunResult): WatchTotals | undefined {
  const watches: GroupWatch[] = [
    ...groupsOf(r, 'controller').map((g) => g.watch),
    ...groupsOf(r, 'kubelet').flatMap((g) => g.watch ?? []),
    ...groupsOf(r, 'scheduler').map((g) => g.scheduling.watch),
  ];
  if (watches.length === 0) return undefined;
  const total = (pick: (w: GroupWatch) => number) => watches.reduce((n, w) => n + pick(w), 0);
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
