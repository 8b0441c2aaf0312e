import type { Clock } from '../timing/clock.js';
import type { Rng } from '../timing/random.js';

/**
 * client-go's `wait.Backoff` as `retry.RetryOnConflict` uses it. `retry.DefaultRetry` is
 * `{Steps: 5, Duration: 10ms, Factor: 1.0, Jitter: 0.1}`: at most 5 attempts, with a wait of
 * 10–11 ms (Duration + rand × Jitter × Duration) between two of them.
 */
export interface ConflictBackoff {
  /** Attempts in all (not retries). */
  readonly steps: number;
  readonly durationMs: number;
  readonly factor: number;
  readonly jitter: number;
}

export const DEFAULT_RETRY: ConflictBackoff = { steps: 5, durationMs: 10, factor: 1, jitter: 0.1 };

/** What one attempt of a read-modify-write came to. */
export type AttemptOutcome = 'written' | 'conflict' | 'failed';

export interface ConflictRetryResult {
  /** `written`: an attempt succeeded; `abandoned`: every step hit a conflict; `failed`: another error. */
  readonly outcome: 'written' | 'abandoned' | 'failed';
  /** Attempts made, ≥ 1. */
  readonly attempts: number;
  /** 409s met on the way. */
  readonly conflicts: number;
}

/**
 * `retry.RetryOnConflict(backoff, fn)`: calls `attempt(n)` (n from 1) until it writes, fails
 * with something other than a conflict, or `backoff.steps` attempts have conflicted. Like
 * `wait.ExponentialBackoff`, it sleeps between attempts, never after the last one, each wait
 * `factor` times the previous one, jittered upwards by up to `jitter` of itself. An abort ends
 * it after the current attempt, as failed.
 */
export async function retryOnConflict(
  attempt: (n: number) => Promise<AttemptOutcome>,
  opts: {
    readonly backoff: ConflictBackoff;
    readonly clock: Clock;
    readonly rng: Rng;
    readonly signal?: AbortSignal;
  },
): Promise<ConflictRetryResult> {
  const { backoff, clock, rng, signal } = opts;
  let waitMs = backoff.durationMs;
  let conflicts = 0;
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome === 'written') return { outcome, attempts: n, conflicts };
    if (outcome === 'failed') return { outcome, attempts: n, conflicts };
    conflicts++;
    if (n >= backoff.steps) return { outcome: 'abandoned', attempts: n, conflicts };
    if (signal?.aborted === true) return { outcome: 'failed', attempts: n, conflicts };
    const jittered = backoff.jitter > 0 ? waitMs + rng.next() * backoff.jitter * waitMs : waitMs;
    await clock.sleepUntil(clock.now() + jittered, signal);
    waitMs *= backoff.factor;
  }
}
