/**
 * The worker's side of the timeline: one `GroupIntervalCollector` per actor group records every
 * send and response, and every interval its `snapshot` goes to the coordinator (never one
 * message per request), which merges them (timeline-aggregator.ts).
 *
 * Windows: every request belongs to the window of its intended send time (the warm-up before
 * `measuredFromMs`, the measured window from it), and so does everything recorded of it: its
 * send, drop, schedule lag, each attempt's response and its completion. A request sent in the
 * warm-up and answered after it stays in the warm-up, so the measured window's figures never
 * count a response to a send they do not count. Each interval's snapshot is split by window;
 * the timeline adds both parts up, the run's totals take the measured one.
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
  type RunWindow,
} from './timeline-snapshot.js';

/** Where the warm-up ends, and the run-relative time now (for counters recorded without a time). */
export interface WindowClock {
  /** Run-relative ms at which the measured window starts (`spec.warmup`). */
  readonly measuredFromMs: number;
  /** Run-relative ms now. */
  readonly now: () => number;
}

/** Without a window clock every request is measured: no warm-up. */
const NO_WARMUP: WindowClock = { measuredFromMs: -Infinity, now: () => 0 };

/**
 * Counts and histograms of one actor group in one worker, for the current interval, split by
 * window. Used only from the worker's thread; `snapshot` drains it.
 */
export class GroupIntervalCollector {
  private readonly windows = { warmup: new WindowTally(), measured: new WindowTally() };

  constructor(
    readonly group: string,
    private readonly clock: WindowClock = NO_WARMUP,
  ) {}

  private windowOf(ms: number): RunWindow {
    return ms >= this.clock.measuredFromMs ? 'measured' : 'warmup';
  }

  private at(ms: number | undefined): WindowTally {
    return ms === undefined ? this.now() : this.windows[this.windowOf(ms)];
  }

  /** Time only moves on: once the warm-up is over, `now` need not read the clock again. */
  private warmupOver = false;

  private now(): WindowTally {
    this.warmupOver ||= this.clock.now() >= this.clock.measuredFromMs;
    return this.warmupOver ? this.windows.measured : this.windows.warmup;
  }

  /**
   * Adds to an actor-specific counter (heartbeat renewals, watch restarts, ...), in the window of
   * `atMs` (run-relative; default now): the intended send time of the request it counts, if any.
   */
  count(metric: string, by = 1, atMs?: number): void {
    increment(this.at(atMs).counters, metric, by);
  }

  /** Records an actor-specific duration (heartbeat gap, watch latency, ...) in µs; `atMs` as for count. */
  observe(metric: string, us: number, atMs?: number): void {
    const measures = this.at(atMs).measures;
    let recorder = measures.get(metric);
    if (recorder === undefined) measures.set(metric, (recorder = new IntervalRecorder()));
    recorder.record(us);
  }

  /** A logical request intended at `intendedMs` started its first attempt. */
  sent(intendedMs: number): void {
    this.at(intendedMs).sent++;
  }

  /** A scheduled send intended at `intendedMs` started `lagUs` after that time. */
  lag(intendedMs: number, lagUs: number): void {
    this.at(intendedMs).scheduleLag.record(lagUs);
  }

  /** A send due at `intendedMs` was not started: the in-flight cap was reached. */
  dropped(intendedMs: number): void {
    this.at(intendedMs).dropped++;
  }

  /** An attempt that will be retried: counted as a response, not as a completion. */
  retried(c: Attempt): void {
    const tally = this.at(c.intendedMs);
    tally.retries++;
    tally.response(c);
  }

  /**
   * A logical request finished. A transport error (no HTTP response: a refused or reset
   * connection) is counted in `byCode` as `error:<code>` but kept out of the latency and service
   * time: it fails in microseconds and would make a dead server look fast. A request apfbench
   * abandoned when the drain ran out stays in: it waited that long for the server, and its
   * latency is a lower bound that must not vanish from the tail.
   */
  completed(c: Completion): void {
    const tally = this.at(c.intendedMs);
    tally.completed++;
    if (isErrorCode(c.code)) {
      tally.errors++;
    }
    if (!c.code.startsWith(TRANSPORT_ERROR_PREFIX) || ABANDONED_CODES.includes(c.code)) {
      tally.latency.record(c.latencyUs);
      tally.serviceTime.record(c.serviceTimeUs);
    }
    tally.response(c);
  }

  /**
   * Everything since the previous snapshot, one snapshot per window that recorded something (an
   * idle interval gives one empty snapshot, of the window it ended in); starts a new interval.
   */
  snapshot(intervalIndex: number): IntervalSnapshot[] {
    const busy = (['warmup', 'measured'] as const).filter((w) => !this.windows[w].empty());
    const windows = busy.length > 0 ? busy : [this.windowOf(this.clock.now())];
    return windows.map((w) => this.windows[w].drain(intervalIndex, this.group, w));
  }
}

/** One window's part of one interval. */
class WindowTally {
  readonly latency = new IntervalRecorder();
  readonly serviceTime = new IntervalRecorder();
  readonly scheduleLag = new IntervalRecorder();
  sent = 0;
  completed = 0;
  dropped = 0;
  errors = 0;
  retries = 0;
  throttled = 0;
  byCode = new Map<string, number>();
  byKey = new Map<string, number>();
  byPriorityLevel = new Map<string, number>();
  byFlowSchema = new Map<string, number>();
  counters = new Map<string, number>();
  readonly measures = new Map<string, IntervalRecorder>();
  response(c: Attempt): void {
    if (c.code === '429') this.throttled++;
    increment(this.byCode, c.code);
    increment(this.byKey, this.keyOf(c));
    if (c.priorityLevel !== undefined) {
      increment(this.byPriorityLevel, c.priorityLevel);
    }
    if (c.flowSchema !== undefined) {
      increment(this.byFlowSchema, c.flowSchema);
    }
  }

  /** Nothing recorded since the last drain. */
  empty(): boolean {
    return (
      this.sent === 0 &&
      this.dropped === 0 &&
      this.completed === 0 &&
      this.retries === 0 &&
      this.byCode.size === 0 &&
      this.counters.size === 0 &&
      this.scheduleLag.count() === 0 &&
      ![...this.measures.values()].some((r) => r.count() > 0)
    );
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

  /** Everything since the previous drain, as this window's snapshot; starts afresh. */
  drain(intervalIndex: number, group: string, window: RunWindow): IntervalSnapshot {
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
      group,
      window,
      sent: this.sent,
      completed: this.completed,
      dropped: this.dropped,
      byCode: Object.fromEntries(this.byCode),
      errors: this.errors,
      retries: this.retries,
      throttled: this.throttled,
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
    this.sent = this.completed = this.dropped = this.errors = 0;
    this.retries = this.throttled = 0;
    this.byCode = new Map();
    this.byKey = new Map();
    this.byPriorityLevel = new Map();
    this.byFlowSchema = new Map();
    this.counters = new Map();
    return snapshot;
  }
}
