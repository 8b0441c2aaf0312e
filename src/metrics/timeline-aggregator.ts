/**
 * The coordinator's side of the timeline: merges the snapshots workers send every interval
 * (see timeline-collector.ts) into a timeline and per-group totals.
 */
import {
  createAccumulator,
  encode,
  merge,
  mergeEncoded,
  reset,
  summarizeMs,
  usToMs,
  durationSummarySchema,
  encodedHistogramSchema,
  type DurationHistogram,
  type DurationSummary,
} from './histogram.js';
import { z } from 'zod';
import {
  DEFAULT_INTERVAL_MS,
  increment,
  isErrorCode,
  type IntervalSnapshot,
} from './timeline-snapshot.js';

const counts = z.record(z.string(), z.number());

/** One group in one interval, merged over workers. */
export const timelineRowSchema = z.object({
  /** Interval start, in seconds since run start. */
  t: z.number(),
  /**
   * Interval start, wall clock (ISO 8601 with ms): the run's t = 0 plus `t`. Absent from results
   * written before it was added.
   */
  at: z.string().optional(),
  group: z.string(),
  sent: z.number(),
  completed: z.number(),
  dropped: z.number(),
  throttled: z.number(),
  /** The non-2xx and transport-error entries of `byCode`. */
  errorsByCode: counts,
  /** Latency p99 in ms, or null when nothing completed. */
  p99Ms: z.number().nullable(),
  /** Completions per second. */
  rps: z.number(),
  /** Actor-specific counters of this interval (only those that moved). */
  counters: counts.optional(),
});
export type TimelineRow = z.infer<typeof timelineRowSchema>;

/** A group's request figures over a run, as result.json keeps them (see `GroupTotals`). */
export const requestFiguresShape = {
  /** Logical requests started, scheduled or sent in reaction (a reconcile's GET, a LIST). */
  sent: z.number(),
  /** Sends due while the in-flight cap was reached: not sent, counted here. */
  dropped: z.number(),
  /** Completed logical requests whose last response was not 2xx, or a transport error. */
  errors: z.number(),
  /** Extra attempts made by client-go-like retries. */
  retries: z.number(),
  /** 429 responses, retried or final. */
  throttled: z.number(),
  /** Responses (every attempt) by status code; `error:<code>` for transport errors. */
  byCode: counts,
  /** Responses by `"<verb> <resource> <code>"`. */
  byKey: counts,
  byPriorityLevel: counts,
  byFlowSchema: counts,
  /** Completion − intended send time of the first attempt. */
  latencyMs: durationSummarySchema,
  /** Completion − actual send time of the first attempt. */
  serviceTimeMs: durationSummarySchema,
  /** Actual − intended send time, per scheduled send. */
  scheduleLagMs: durationSummarySchema,
  /** Encoded HDR histograms (µs, compressed base64), to re-render or compare. */
  histograms: z.object({
    latency: encodedHistogramSchema,
    serviceTime: encodedHistogramSchema,
    scheduleLag: encodedHistogramSchema,
  }),
};

/** One group over the whole run, merged over workers and intervals. */
export type GroupTotals = z.infer<z.ZodObject<typeof requestFiguresShape>> & {
  readonly group: string;
  /** Logical requests completed (a retried request counts once). */
  readonly completed: number;
  readonly clamped: number;
  readonly counters: Readonly<Record<string, number>>;
  /** Actor-specific histograms by metric name: summary (ms) and encoded merge. */
  readonly measures: Readonly<
    Record<string, { readonly summaryMs: DurationSummary; readonly encoded: string }>
  >;
};

export interface ProgressResponses {
  readonly group: string;
  readonly byCode: Readonly<Record<string, number>>;
  readonly byKey: Readonly<Record<string, number>>;
}

export interface MergedRun {
  /** Ordered by interval, then group; only cells some worker reported. */
  readonly timeline: readonly TimelineRow[];
  /** Ordered by group. */
  readonly totals: readonly GroupTotals[];
}

/** A merged run's group totals by group name. */
export function totalsByGroup(run: MergedRun): ReadonlyMap<string, GroupTotals> {
  return new Map(run.totals.map((t) => [t.group, t]));
}

/** Merges snapshots from any number of workers, in any order. Pure. */
export function mergeSnapshots(
  snapshots: Iterable<IntervalSnapshot>,
  intervalMs = DEFAULT_INTERVAL_MS,
): MergedRun {
  const aggregator = new TimelineAggregator(intervalMs);
  for (const snapshot of snapshots) {
    aggregator.add(snapshot);
  }
  return aggregator.result();
}

interface Counts {
  sent: number;
  completed: number;
  dropped: number;
  errors: number;
  retries: number;
  throttled: number;
  readonly byCode: Map<string, number>;
}

interface Cell extends Counts {
  readonly intervalIndex: number;
  readonly group: string;
  readonly counters: Map<string, number>;
  /** Encoded latency histograms, decoded only when the row is built. */
  readonly latency: string[];
}

interface GroupAccumulator extends Counts {
  readonly byKey: Map<string, number>;
  readonly byPriorityLevel: Map<string, number>;
  readonly byFlowSchema: Map<string, number>;
  readonly latency: DurationHistogram;
  readonly serviceTime: DurationHistogram;
  readonly scheduleLag: DurationHistogram;
  readonly counters: Map<string, number>;
  readonly measures: Map<string, DurationHistogram>;
  clamped: number;
}

/**
 * Incremental form of `mergeSnapshots` for a coordinator that receives snapshots as the run
 * goes: totals are merged on arrival; a cell keeps only its encoded latencies until `result`.
 */
export class TimelineAggregator {
  private readonly cells = new Map<string, Cell>();
  private readonly groups = new Map<string, GroupAccumulator>();
  private readonly completedByInterval = new Map<string, number>();

  constructor(private readonly intervalMs = DEFAULT_INTERVAL_MS) {}

  add(s: IntervalSnapshot): void {
    increment(this.completedByInterval, String(s.intervalIndex), s.completed);
    const cell = this.cell(s.intervalIndex, s.group);
    addCounts(cell, s);
    addAll(cell.counters, s.counters);
    cell.latency.push(s.latency);

    const group = this.group(s.group);
    addCounts(group, s);
    addAll(group.byKey, s.byKey);
    addAll(group.byPriorityLevel, s.byPriorityLevel);
    addAll(group.byFlowSchema, s.byFlowSchema);
    mergeEncoded(group.latency, s.latency);
    mergeEncoded(group.serviceTime, s.serviceTime);
    mergeEncoded(group.scheduleLag, s.scheduleLag);
    addAll(group.counters, s.counters);
    for (const [metric, encoded] of Object.entries(s.measures)) {
      let h = group.measures.get(metric);
      if (h === undefined) group.measures.set(metric, (h = createAccumulator()));
      mergeEncoded(h, encoded);
    }
    group.clamped += s.clamped;
  }

  /**
   * Totals over every group so far, for live progress: counts, the latency p99 (ms), and each
   * group's responses by code and by key (to tell the errors an actor expects from the others).
   */
  progress(): {
    sent: number;
    completed: number;
    errors: number;
    throttled: number;
    dropped: number;
    p99Ms: number;
    groups: ProgressResponses[];
  } {
    const all = { ...emptyCounts(), latency: createAccumulator() };
    for (const group of this.groups.values()) {
      addTotals(all, group);
      merge(all.latency, group.latency);
    }
    const { sent, completed, errors, throttled, dropped } = all;
    const groups = [...this.groups].map(([group, g]) => ({
      group,
      byCode: Object.fromEntries(g.byCode),
      byKey: Object.fromEntries(g.byKey),
    }));
    return {
      sent,
      completed,
      errors,
      throttled,
      dropped,
      p99Ms: summarizeMs(all.latency).p99,
      groups,
    };
  }

  /** Completions in one interval over every group. */
  completedIn(intervalIndex: number): number {
    return this.completedByInterval.get(String(intervalIndex)) ?? 0;
  }

  /** The merged run; rows carry their wall-clock start when `originEpochMs` (t = 0) is given. */
  result(originEpochMs?: number): MergedRun {
    const scratch = createAccumulator();
    const cells = [...this.cells.values()].sort(
      (a, b) => a.intervalIndex - b.intervalIndex || compareStrings(a.group, b.group),
    );
    const groups = [...this.groups.entries()].sort(([a], [b]) => compareStrings(a, b));
    return {
      timeline: cells.map((cell) => this.row(cell, scratch, originEpochMs)),
      totals: groups.map(([name, group]) => totals(name, group)),
    };
  }

  private row(cell: Cell, scratch: DurationHistogram, originEpochMs?: number): TimelineRow {
    reset(scratch);
    for (const encoded of cell.latency) {
      mergeEncoded(scratch, encoded);
    }
    const { totalCount } = scratch.hdr;
    const startMs = cell.intervalIndex * this.intervalMs;
    return {
      t: startMs / 1000,
      ...(originEpochMs === undefined
        ? {}
        : { at: new Date(originEpochMs + startMs).toISOString() }),
      group: cell.group,
      sent: cell.sent,
      completed: cell.completed,
      dropped: cell.dropped,
      throttled: cell.throttled,
      errorsByCode: Object.fromEntries([...cell.byCode].filter(([code]) => isErrorCode(code))),
      p99Ms: totalCount === 0 ? null : usToMs(scratch.hdr.getValueAtPercentile(99)),
      rps: cell.completed / (this.intervalMs / 1000),
      ...(cell.counters.size === 0 ? {} : { counters: Object.fromEntries(cell.counters) }),
    };
  }

  private cell(intervalIndex: number, group: string): Cell {
    const key = `${intervalIndex}\u0000${group}`;
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = { intervalIndex, group, ...emptyCounts(), counters: new Map(), latency: [] };
      this.cells.set(key, cell);
    }
    return cell;
  }

  private group(name: string): GroupAccumulator {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = newGroupAccumulator();
      this.groups.set(name, group);
    }
    return group;
  }
}

function newGroupAccumulator(): GroupAccumulator {
  return {
    ...emptyCounts(),
    byKey: new Map(),
    byPriorityLevel: new Map(),
    byFlowSchema: new Map(),
    latency: createAccumulator(),
    serviceTime: createAccumulator(),
    scheduleLag: createAccumulator(),
    counters: new Map(),
    measures: new Map(),
    clamped: 0,
  };
}

/** Totals of a group that reported nothing. */
export function emptyGroupTotals(group: string): GroupTotals {
  return totals(group, newGroupAccumulator());
}

function totals(name: string, g: GroupAccumulator): GroupTotals {
  return {
    group: name,
    sent: g.sent,
    completed: g.completed,
    dropped: g.dropped,
    errors: g.errors,
    retries: g.retries,
    throttled: g.throttled,
    byCode: Object.fromEntries(g.byCode),
    byKey: Object.fromEntries(g.byKey),
    byPriorityLevel: Object.fromEntries(g.byPriorityLevel),
    byFlowSchema: Object.fromEntries(g.byFlowSchema),
    latencyMs: summarizeMs(g.latency),
    serviceTimeMs: summarizeMs(g.serviceTime),
    scheduleLagMs: summarizeMs(g.scheduleLag),
    clamped: g.clamped,
    counters: Object.fromEntries(g.counters),
    measures: Object.fromEntries(
      [...g.measures].map(([metric, h]) => [
        metric,
        { summaryMs: summarizeMs(h), encoded: encode(h) },
      ]),
    ),
    histograms: {
      latency: encode(g.latency),
      serviceTime: encode(g.serviceTime),
      scheduleLag: encode(g.scheduleLag),
    },
  };
}

function emptyCounts(): Counts {
  return {
    sent: 0,
    completed: 0,
    dropped: 0,
    errors: 0,
    retries: 0,
    throttled: 0,
    byCode: new Map(),
  };
}

function addCounts(into: Counts, s: IntervalSnapshot): void {
  addTotals(into, s);
  addAll(into.byCode, s.byCode);
}

function addTotals(into: Counts, s: Omit<Counts, 'byCode'>): void {
  into.sent += s.sent;
  into.completed += s.completed;
  into.dropped += s.dropped;
  into.errors += s.errors;
  into.retries += s.retries;
  into.throttled += s.throttled;
}

function addAll(into: Map<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, count] of Object.entries(from)) {
    increment(into, key, count);
  }
}

/** Code-point order, independent of locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
