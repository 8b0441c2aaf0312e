/**
 * Heartbeat health of simulated nodes: whether each node renewed its Lease often enough that a
 * node controller would have kept it Ready (a gap over 1.5 × renewInterval is late, one over
 * leaseDuration missed), and the names of the counters and histograms the kubelet actor records. Pure: trackers record into a sink, sections
 * are built from merged measurements.
 */
import { z } from 'zod';
import {
  createAccumulator,
  durationSummarySchema,
  encodedHistogramSchema,
  summarizeMs,
} from './histogram.js';
import type { GroupTotals } from './timeline-aggregator.js';

/** Kubelet counters (summed over nodes, workers and intervals) and µs histograms. */
export const KubeletMetric = {
  /** Successful Lease writes: the create and every update that got 2xx. */
  renewals: 'heartbeats.renewals',
  /** Lease requests that failed (any non-2xx but the 404 of a lease not yet created). */
  failed: 'heartbeats.failed',
  /** Gaps between successful renewals over 1.5 × renewInterval, up to leaseDuration. */
  late: 'heartbeats.late',
  /** Gaps over leaseDuration: the node controller would have marked the node NotReady. */
  missed: 'heartbeats.missed',
  /** Renew ticks that fell while the previous renewal (with its retries) was still going. */
  skipped: 'heartbeats.skipped',
  /** µs histogram: time between consecutive successful renewals of one node. */
  gap: 'heartbeats.gap',
  /** `heartbeats.notReady/<node>`: missed gaps of one node. */
  notReadyPrefix: 'heartbeats.notReady/',
  /** Node registrations that succeeded (201, or 409 then GET). */
  registered: 'nodes.registered',
  /** PATCH nodes/<name>/status that succeeded / failed. */
  statusReports: 'nodes.statusReports',
  statusFailed: 'nodes.statusFailed',
  /** Pod watches opened (the first one and every re-watch). */
  watchOpened: 'watch.opened',
  /** Watches that ended or failed before the run did, and were resumed. */
  watchRestarts: 'watch.restarts',
  /** LISTs after the first one: after a 410 Gone. */
  watchRelists: 'watch.relists',
  watchBookmarks: 'watch.bookmarks',
  /** ADDED, MODIFIED and DELETED events received. */
  watchEvents: 'watch.events',
  /** Watches the server refused or that failed in transport. */
  watchErrors: 'watch.errors',
  /** Pods reported Running through pods/<name>/status. */
  podsStarted: 'pods.started',
  /** µs histogram: pod's `apfbench.dev/created-at` → the Running status was acknowledged. */
  podStartup: 'pods.startup',
} as const;

/** Annotation with the epoch milliseconds at which a pod's creator intended to create it. */
export const CREATED_AT_ANNOTATION = 'apfbench.dev/created-at';

export type GapClass = 'ok' | 'late' | 'missed';

export interface HeartbeatThresholds {
  /** A gap above this is late: 1.5 × the renew interval. */
  readonly lateMs: number;
  /** A gap above this is missed: the lease duration. */
  readonly missedMs: number;
}

export function heartbeatThresholds(
  renewIntervalMs: number,
  leaseDurationMs: number,
): HeartbeatThresholds {
  return { lateMs: 1.5 * renewIntervalMs, missedMs: leaseDurationMs };
}

/** Missed gaps are not also counted late. */
export function classifyGap(gapMs: number, t: HeartbeatThresholds): GapClass {
  if (gapMs > t.missedMs) return 'missed';
  if (gapMs > t.lateMs) return 'late';
  return 'ok';
}

/** Where a tracker records; a GroupIntervalCollector in the actor. */
export interface MeasureSink {
  count(metric: string, by?: number): void;
  observe(metric: string, us: number): void;
}

/**
 * The heartbeat health of one node. Every gap between two successful renewals goes into the
 * gap histogram. The boundary gaps — from the node's start to its first success, and from its
 * last success to the end of the run — are recorded only when they are late or missed, so that a
 * node that never renewed, or stopped renewing, is counted and not missed silently.
 */
export class HeartbeatTracker {
  private last: number | undefined;
  private closed = false;

  constructor(
    private readonly sink: MeasureSink,
    private readonly node: string,
    private readonly thresholds: HeartbeatThresholds,
    /** Clock ms at which the node started (its boundary gap begins there). */
    private readonly startMs: number,
  ) {}

  /** A successful renewal acknowledged at clock ms `atMs`. */
  renewed(atMs: number): GapClass {
    this.sink.count(KubeletMetric.renewals);
    const previous = this.last;
    this.last = atMs;
    if (previous === undefined) return this.boundary(atMs - this.startMs);
    return this.gap(atMs - previous);
  }

  /** The run ended at clock ms `endMs`: accounts the open gap once. */
  close(endMs: number): GapClass {
    if (this.closed) return 'ok';
    this.closed = true;
    return this.boundary(endMs - (this.last ?? this.startMs));
  }

  private boundary(gapMs: number): GapClass {
    return classifyGap(gapMs, this.thresholds) === 'ok' ? 'ok' : this.gap(gapMs);
  }

  private gap(gapMs: number): GapClass {
    const gapClass = classifyGap(gapMs, this.thresholds);
    this.sink.observe(KubeletMetric.gap, Math.max(0, gapMs) * 1000);
    if (gapClass === 'late') this.sink.count(KubeletMetric.late);
    if (gapClass === 'missed') {
      this.sink.count(KubeletMetric.missed);
      this.sink.count(KubeletMetric.notReadyPrefix + this.node);
    }
    return gapClass;
  }
}

type Measurements = Pick<GroupTotals, 'counters' | 'measures'>;

export const heartbeatsSectionSchema = z.object({
  renewals: z.number(),
  failed: z.number(),
  /** Gaps over 1.5 × renewInterval but within leaseDuration. */
  late: z.number(),
  /** Gaps over leaseDuration. */
  missed: z.number(),
  skipped: z.number(),
  gapMs: durationSummarySchema,
  /** Encoded HDR histogram of the gaps (µs); '' when there were none. */
  histogram: encodedHistogramSchema,
  /** Nodes with at least one missed gap, sorted. */
  notReadyNodes: z.array(z.string()),
});
export type HeartbeatsSection = z.infer<typeof heartbeatsSectionSchema>;

export const podWatchSectionSchema = z.object({
  opened: z.number(),
  restarts: z.number(),
  relists: z.number(),
  bookmarks: z.number(),
  events: z.number(),
  errors: z.number(),
});
export type PodWatchSection = z.infer<typeof podWatchSectionSchema>;

export const podStartupSectionSchema = z.object({
  count: z.number(),
  latencyMs: durationSummarySchema,
  histogram: encodedHistogramSchema,
});
export type PodStartupSection = z.infer<typeof podStartupSectionSchema>;

export const nodesSectionSchema = z.object({
  registered: z.number(),
  statusReports: z.number(),
  statusFailed: z.number(),
});
export type NodesSection = z.infer<typeof nodesSectionSchema>;

/** The sections of a kubelet group's result: `watch` with `watchPods`, `podStartup` with pods. */
export const kubeletSectionsSchema = z.object({
  heartbeats: heartbeatsSectionSchema,
  nodes: nodesSectionSchema,
  watch: podWatchSectionSchema.optional(),
  podStartup: podStartupSectionSchema.optional(),
});
export type KubeletSections = z.infer<typeof kubeletSectionsSchema>;

const EMPTY_SUMMARY = summarizeMs(createAccumulator());

/** The result sections of a kubelet group. Pure. */
export function kubeletSections(
  m: Measurements,
  opts: { readonly watchPods: boolean },
): KubeletSections {
  const n = (metric: string) => m.counters[metric] ?? 0;
  const gap = m.measures[KubeletMetric.gap];
  const startup = m.measures[KubeletMetric.podStartup];
  const notReadyNodes = Object.keys(m.counters)
    .filter((k) => k.startsWith(KubeletMetric.notReadyPrefix) && n(k) > 0)
    .map((k) => k.slice(KubeletMetric.notReadyPrefix.length))
    .sort();
  return {
    heartbeats: {
      renewals: n(KubeletMetric.renewals),
      failed: n(KubeletMetric.failed),
      late: n(KubeletMetric.late),
      missed: n(KubeletMetric.missed),
      skipped: n(KubeletMetric.skipped),
      gapMs: gap?.summaryMs ?? EMPTY_SUMMARY,
      histogram: gap?.encoded ?? '',
      notReadyNodes,
    },
    nodes: {
      registered: n(KubeletMetric.registered),
      statusReports: n(KubeletMetric.statusReports),
      statusFailed: n(KubeletMetric.statusFailed),
    },
    ...(opts.watchPods
      ? {
          watch: {
            opened: n(KubeletMetric.watchOpened),
            restarts: n(KubeletMetric.watchRestarts),
            relists: n(KubeletMetric.watchRelists),
            bookmarks: n(KubeletMetric.watchBookmarks),
            events: n(KubeletMetric.watchEvents),
            errors: n(KubeletMetric.watchErrors),
          },
        }
      : {}),
    ...(startup === undefined
      ? {}
      : {
          podStartup: {
            count: startup.summaryMs.count,
            latencyMs: startup.summaryMs,
            histogram: startup.encoded,
          },
        }),
  };
}
