/**
 * The optional sections of result.json the report reads: kubelet heartbeats and watches (a run
 * writes them per actor group, `actors.<group>.heartbeats` and `.watch`, which model.ts adds up;
 * a run-wide one, when a result has it, is taken as it is), fairness and server-side APF series.
 * A run writes each only when its scenario has what it measures, and the report renders each
 * only when it is present. A change to what a run writes is made here too (and in model.ts),
 * keeping every field optional so that results written before a section existed still render.
 */
import type { DurationSummary } from '../metrics/histogram.js';
import type { RunResult } from '../result/result.js';

export interface HeartbeatSection {
  readonly nodes: number;
  readonly renewals: number;
  /** Gaps between successful Lease renewals above 1.5 × the renew interval. */
  readonly late: number;
  /** Gaps above the lease duration: the node would have been marked NotReady. */
  readonly missed: number;
  readonly gapMs: DurationSummary;
  /** Encoded µs histogram of the gaps (see metrics/histogram.ts). */
  readonly gapHistogram?: string;
}

export interface WatchSection {
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
  /** Encoded µs histogram of `latencyMs`. */
  readonly latencyHistogram?: string;
}

export interface FairnessSection {
  readonly priorityLevels: Readonly<
    Record<
      string,
      {
        /** Jain's index over per-flow normalised throughput, in (0, 1]. */
        readonly jainIndex: number;
        readonly flows: number;
        /** Share of the server's executing seats this level held, in [0, 1]. */
        readonly seatShare?: number;
        /** Its nominal share of the server's seats, in [0, 1]. */
        readonly nominalShare?: number;
      }
    >
  >;
  /**
   * The victim and noisy groups a run was told about (`--victim G --noisy H`); the report reads
   * which groups were named noisy.
   */
  readonly latencyRatios?: readonly { readonly victim: string; readonly noisy: string }[];
}

/** APF gauges per priority level from periodic `/metrics` scrapes (metrics/server-metrics.ts). */
export interface ServerSection {
  readonly series: readonly {
    /** Scrape time, ms since the epoch. */
    readonly t: number;
    readonly priorityLevels: Readonly<
      Record<string, { readonly executingSeats: number; readonly inqueueRequests: number }>
    >;
  }[];
}

/** A result as the report reads it: a `RunResult`, possibly with run-wide heartbeats and watch. */
export type ReportableResult = Omit<RunResult, 'fairness' | 'server'> & {
  readonly heartbeats?: HeartbeatSection;
  readonly watch?: WatchSection;
  readonly fairness?: FairnessSection;
  readonly server?: ServerSection;
};
