/**
 * The worker's side of the timeline: one `GroupIntervalCollector` per actor group records every
 * send and response, and every interval its `snapshot` goes to the coordinator (never one
 * message per request), which merges them (timeline-aggregator.ts).
 */
import { EMPTY_ENCODED, IntervalRecorder } from './histogram.js';
import {
  ABANDONED_CODES,
  increment,
  isErrorCode,
  TRANSPORT_ERROR_PREFIX,
  type Attempt,
  type Completion,
  type IntervalSnapshot,
} from './timeline-snapshot.js';

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

  /**
   * A logical request finished. A transport error (no HTTP response: a refused or reset
   * connection) is counted in `byCode` as `error:<code>` but kept out of the latency and service
   * time: it fails in microseconds and would make a dead server look fast. A request apfbench
   * abandoned when the drain ran out stays in: it waited that long for the server, and its
   * latency is a lower bound that must not vanish from the tail.
   */
  completed(c: Completion): void {
    this.completedCount++;
    if (isErrorCode(c.code)) {
      this.errorCount++;
    }
    if (!c.code.startsWith(TRANSPORT_ERROR_PREFIX) || ABANDONED_CODES.includes(c.code)) {
      this.latency.record(c.latencyUs);
      this.serviceTime.record(c.serviceTimeUs);
    }
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
