/**
 * What crosses the worker boundary: a worker's per-interval snapshot of one actor group, and
 * the response codes both sides classify alike. The worker side is timeline-collector.ts, the
 * coordinator side timeline-aggregator.ts.
 */

export const DEFAULT_INTERVAL_MS = 1000;

/** Prefix of `byCode` keys for requests that got no HTTP status, e.g. `error:ECONNRESET`. */
export const TRANSPORT_ERROR_PREFIX = 'error:';

/**
 * The part of a run a request belongs to, by its intended send time: the warm-up
 * (`spec.warmup`), or the measured window after it. See timeline-collector.ts.
 */
export type RunWindow = 'warmup' | 'measured';

/**
 * What one worker saw for one actor group during one interval, of the requests intended in one
 * window: the interval says when it happened, the window which requests it happened to.
 */
export interface IntervalSnapshot {
  /** Interval i covers [i, i + 1) × intervalMs since run start. */
  readonly intervalIndex: number;
  readonly group: string;
  /** The window of the intended send times of the requests counted here. */
  readonly window: RunWindow;
  /** Logical requests whose first attempt started in the interval (by actual send time). */
  readonly sent: number;
  /** Requests finished, with a response or a transport error (by completion time). */
  readonly completed: number;
  /** Sends due in the interval that could not start because the in-flight cap was reached. */
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
  /** Actual − intended send time, one value per scheduled send. */
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
  /** Run-relative intended send time of the logical request: its window. */
  readonly intendedMs: number;
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

/** Adds `by` to `key`'s count. */
export function increment(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
