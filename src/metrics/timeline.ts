/**
 * Per-interval snapshots from workers, and their merge into a timeline and per-group totals.
 *
 * A worker keeps one `GroupIntervalCollector` per actor group and, every interval, sends each
 * group's `snapshot` to the coordinator (never one message per request). The coordinator feeds
 * every snapshot to a `TimelineAggregator` (or calls `mergeSnapshots` on all of them).
 */
import {
  EMPTY_ENCODED,
  IntervalRecorder,
  createAccumulator,
  encode,
  merge,
  mergeEncoded,
  reset,
  summarizeMs,
  usToMs,
  type DurationHistogram,
  type DurationSummary,
} from './histogram.js';

export const DEFAULT_INTERVAL_MS = 1000;

/** Prefix of `byCode` keys for requests that got no HTTP status, e.g. `error:ECONNRESET`. */
export const TRANSPORT_ERROR_PREFIX = 'error:';

/** What one worker saw for one actor group during one interval. */
export interface IntervalSnapshot {
  /** Interval i covers [i, i + 1) × intervalMs since run start. */
  readonly intervalIndex: number;
  readonly group: string;
  /** Sends started (by actual send time). */
  readonly sent: number;
  /** Requests finished, with a response or a transport error (by completion time). */
  readonly completed: number;
  /** Sends that could not start because the in-flight cap was reached. */
  readonly dropped: number;
  /**
   * Responses by HTTP status code, or `error:<code>` for transport errors: every attempt,
   * including retried ones, so that they match the server's `apiserver_request_total`.
   */
  readonly byCode: Readonly<Record<string, number>>;
  /** Completed requests with a non-2xx status or a transport error. */
  readonly errors: number;
  /** Attempts that were retried (a logical request's earlier tries); they are in byCode and byKey too. */
  readonly retries: number;
  /** 429 responses, retried or final. */
  readonly throttled: number;
  /** Encoded µs histograms (see histogram.ts): completion − intended send time. */
  readonly latency: string;
  /** Completion − actual send time. */
  readonly serviceTime: string;
  /** Actual − intended send time, one value per send. */
  readonly scheduleLag: string;
  /** Values clamped into the histograms' range, over all three. */
  readonly clamped: number;
  /** Responses (every attempt) by `"<verb> <resource> <code>"`. */
  readonly byKey: Readonly<Record<string, number>>;
  /** Completed requests by APF priority level name (when the response said). */
  readonly byPriorityLevel: Readonly<Record<string, number>>;
  /** Completed requests by APF flow schema name (when the response said). */
  readonly byFlowSchema: Readonly<Record<string, number>>;
  /** Actor-specific counters by metric name (see names.ts); summed when merged. */
  readonly counters: Readonly<Record<string, number>>;
  /** Actor-specific µs histograms by metric name, encoded; merged when merged. */
  readonly measures: Readonly<Record<string, string>>;
}

/** One response (or transport failure) to one attempt. */
export interface Attempt {
  readonly verb: string;
  readonly resource: string;
  /** HTTP status code such as `"200"`, or `transportErrorCode(...)`. */
  readonly code: string;
  readonly priorityLevel?: string | undefined;
  readonly flowSchema?: string | undefined;
}

/** One finished logical request (its last attempt), as reported to a collector. */
export interface Completion extends Attempt {
  /** Completion − intended send time of the first attempt: retries included. */
  readonly latencyUs: number;
  /** Completion − actual send time of the first attempt. */
  readonly serviceTimeUs: number;
}

export function transportErrorCode(code: string): string {
  return TRANSPORT_ERROR_PREFIX + code;
}

/**
 * The `byCode` keys of requests that never got an answer because the worker closed its
 * connections when the drain after the deadline (or Ctrl-C) ran out (docs/result-format.md):
 * requests still waiting or running, abandoned by apfbench rather than failed by the server.
 */
export const ABANDONED_CODES: readonly string[] = [
  transportErrorCode('ERR_POOL_DESTROYED'),
  transportErrorCode('ERR_POOL_CLOSED'),
];

/** Requests of a group abandoned when the drain ended (a transport error is never retried). */
export function abandonedOf(byCode: Readonly<Record<string, number>>): number {
  return ABANDONED_CODES.reduce((n, code) => n + (byCode[code] ?? 0), 0);
}

/** True for anything but a 2xx status. */
export function isErrorCode(code: string): boolean {
  return !(code.length === 3 && code.startsWith('2'));
}

/**
 * Counts and histograms of one actor group in one worker, for the current interval. Used only
 * from the worker's thread; `snapshot` drains it.
 */
export class GroupIntervalCollector {
  private readonly latency = new IntervalRecorder();
  private readonly serviceTime = new IntervalRecorder();
  private readonly scheduleLag = new IntervalRecorder();
  private sentCount = 0;
  private completedCount = 0;
  private droppedCount = 0;
  private errorCount = 0;
  private retryCount = 0;
  private throttledCount = 0;
  private byCode = new Map<string, number>();
  private byKey = new Map<string, number>();
  private byPriorityLevel = new Map<string, number>();
  private byFlowSchema = new Map<string, number>();
  private counters = new Map<string, number>();
  private readonly measures = new Map<string, IntervalRecorder>();

  constructor(readonly group: string) {}

  /** Adds to an actor-specific counter (heartbeat renewals, watch restarts, ...). */
  count(metric: string, by = 1): void {
    increment(this.counters, metric, by);
  }

  /** Records an actor-specific duration (heartbeat gap, watch latency, ...) in µs. */
  observe(metric: string, us: number): void {
    let recorder = this.measures.get(metric);
    if (recorder === undefined) this.measures.set(metric, (recorder = new IntervalRecorder()));
    recorder.record(us);
  }

  /** A send started `lagUs` after its intended time. */
  sent(lagUs: number): void {
    this.sentCount++;
    this.scheduleLag.record(lagUs);
  }

  /** A send was due but the in-flight cap was reached. */
  dropped(): void {
    this.droppedCount++;
  }

  /** An attempt that will be retried: counted as a response, not as a completion. */
  retried(c: Attempt): void {
    this.retryCount++;
    this.response(c);
  }

  completed(c: Completion): void {
    this.completedCount++;
    if (isErrorCode(c.code)) {
      this.errorCount++;
    }
    this.latency.record(c.latencyUs);
    this.serviceTime.record(c.serviceTimeUs);
    this.response(c);
  }

  private response(c: Attempt): void {
    if (c.code === '429') this.throttledCount++;
    increment(this.byCode, c.code);
    increment(this.byKey, this.keyOf(c));
    if (c.priorityLevel !== undefined) {
      increment(this.byPriorityLevel, c.priorityLevel);
    }
    if (c.flowSchema !== undefined) {
      increment(this.byFlowSchema, c.flowSchema);
    }
  }

  /** Interned `"<verb> <resource> <code>"`: the same few keys recur on every response. */
  private readonly keys = new Map<string, Map<string, Map<string, string>>>();

  private keyOf(c: Attempt): string {
    let byResource = this.keys.get(c.verb);
    if (byResource === undefined) this.keys.set(c.verb, (byResource = new Map()));
    let byCode = byResource.get(c.resource);
    if (byCode === undefined) byResource.set(c.resource, (byCode = new Map()));
    let key = byCode.get(c.code);
    if (key === undefined) byCode.set(c.code, (key = `${c.verb} ${c.resource} ${c.code}`));
    return key;
  }

  /** Everything since the previous snapshot; starts a new interval. */
  snapshot(intervalIndex: number): IntervalSnapshot {
    const latency = this.latency.flush();
    const serviceTime = this.serviceTime.flush();
    const scheduleLag = this.scheduleLag.flush();
    const measures: Record<string, string> = {};
    let measuresClamped = 0;
    for (const [metric, recorder] of this.measures) {
      const flushed = recorder.flush();
      measuresClamped += flushed.clamped;
      if (flushed.encoded !== EMPTY_ENCODED) measures[metric] = flushed.encoded;
    }
    const snapshot: IntervalSnapshot = {
      intervalIndex,
      group: this.group,
      sent: this.sentCount,
      completed: this.completedCount,
      dropped: this.droppedCount,
      byCode: Object.fromEntries(this.byCode),
      errors: this.errorCount,
      retries: this.retryCount,
      throttled: this.throttledCount,
      latency: latency.encoded,
      serviceTime: serviceTime.encoded,
      scheduleLag: scheduleLag.encoded,
      clamped: latency.clamped + serviceTime.clamped + scheduleLag.clamped + measuresClamped,
      byKey: Object.fromEntries(this.byKey),
      byPriorityLevel: Object.fromEntries(this.byPriorityLevel),
      byFlowSchema: Object.fromEntries(this.byFlowSchema),
      counters: Object.fromEntries(this.counters),
      measures,
    };
    this.sentCount = this.completedCount = this.droppedCount = this.errorCount = 0;
    this.retryCount = this.throttledCount = 0;
    this.byCode = new Map();
    this.byKey = new Map();
    this.byPriorityLevel = new Map();
    this.byFlowSchema = new Map();
    this.counters = new Map();
    return snapshot;
  }
}

/** One group in one interval, merged over workers. */
export interface TimelineRow {
  /** Interval start, in seconds since run start. */
  readonly t: number;
  readonly group: string;
  readonly sent: number;
  readonly completed: number;
  readonly dropped: number;
  readonly throttled: number;
  /** The non-2xx and transport-error entries of `byCode`. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Latency p99 in ms, or null when nothing completed. */
  readonly p99Ms: number | null;
  /** Completions per second. */
  readonly rps: number;
  /** Actor-specific counters of this interval (only those that moved). */
  readonly counters?: Readonly<Record<string, number>>;
}

/** One group over the whole run, merged over workers and intervals. */
export interface GroupTotals {
  readonly group: string;
  /** Sends started on schedule. */
  readonly sent: number;
  /** Logical requests completed (a retried request counts once). */
  readonly completed: number;
  /** Sends due while the in-flight cap was reached: not sent, counted here. */
  readonly dropped: number;
  /** Completed logical requests whose last response was not 2xx, or a transport error. */
  readonly errors: number;
  /** Extra attempts made by client-go-like retries. */
  readonly retries: number;
  /** 429 responses, retried or final. */
  readonly throttled: number;
  /** Responses (every attempt) by status code; `error:<code>` for transport errors. */
  readonly byCode: Readonly<Record<string, number>>;
  /** Responses by `"<verb> <resource> <code>"`. */
  readonly byKey: Readonly<Record<string, number>>;
  readonly byPriorityLevel: Readonly<Record<string, number>>;
  readonly byFlowSchema: Readonly<Record<string, number>>;
  /** Completion − intended send time of the first attempt. */
  readonly latencyMs: DurationSummary;
  /** Completion − actual send time of the first attempt. */
  readonly serviceTimeMs: DurationSummary;
  /** Actual − intended send time. */
  readonly scheduleLagMs: DurationSummary;
  readonly clamped: number;
  readonly counters: Readonly<Record<string, number>>;
  /** Actor-specific histograms by metric name: summary (ms) and encoded merge. */
  readonly measures: Readonly<
    Record<string, { readonly summaryMs: DurationSummary; readonly encoded: string }>
  >;
  /** Encoded HDR histograms (µs, compressed base64), to re-render or compare. */
  readonly histograms: {
    readonly latency: string;
    readonly serviceTime: string;
    readonly scheduleLag: string;
  };
}

/** One group's responses so far (every attempt), as `GroupTotals` counts them. */
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

  result(): MergedRun {
    const scratch = createAccumulator();
    const cells = [...this.cells.values()].sort(
      (a, b) => a.intervalIndex - b.intervalIndex || compareStrings(a.group, b.group),
    );
    const groups = [...this.groups.entries()].sort(([a], [b]) => compareStrings(a, b));
    return {
      timeline: cells.map((cell) => this.row(cell, scratch)),
      totals: groups.map(([name, group]) => totals(name, group)),
    };
  }

  private row(cell: Cell, scratch: DurationHistogram): TimelineRow {
    reset(scratch);
    for (const encoded of cell.latency) {
      mergeEncoded(scratch, encoded);
    }
    const { totalCount } = scratch.hdr;
    return {
      t: (cell.intervalIndex * this.intervalMs) / 1000,
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

function increment(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
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
