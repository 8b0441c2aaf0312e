import type { Schedule } from '../../timing/schedule.js';
import type { Rng } from '../../timing/random.js';

/** wait.JitterUntil(sync, renewInterval, 0.04, ...) in the lease controller and the status loop. */
export const JITTER_FACTOR = 0.04;
/** retryUpdateLease: immediate attempts before falling back to ensuring the lease. */
export const MAX_UPDATE_RETRIES = 5;
/** backoffEnsureLease: the wait starts at 100 ms and doubles before each sleep, up to 7 s. */
export const ENSURE_BACKOFF = { initialMs: 100, maxMs: 7000 } as const;
/** nodeStatusUpdateRetry: immediate attempts to report Node status. */
export const STATUS_UPDATE_RETRIES = 5;
/** The reflector's watch backoff: 800 ms doubling to 30 s, jittered. */
export const WATCH_BACKOFF = { initialMs: 800, maxMs: 30_000 } as const;
/** client-go retries 429s (up to 10 times, honouring Retry-After). */
export const CLIENT_GO_RETRY = { maxRetries: 10, maxBackoff: 10_000 } as const;

/**
 * Ticks of wait.JitterUntil's period: the first at `startMs`, then each `periodMs × (1 + factor ×
 * u)` (u uniform in [0, 1)) after the previous tick, until `endMs` (exclusive).
 */
export function jitteredSchedule(
  startMs: number,
  periodMs: number,
  endMs: number,
  rng: Rng,
  factor = JITTER_FACTOR,
): Schedule {
  if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
  let t = startMs;
  return {
    next() {
      if (t >= endMs) return undefined;
      const due = t;
      t += periodMs * (1 + factor * rng.next());
      return due;
    },
  };
}

/** The next wait of an exponential backoff that doubles before each sleep (the kubelet's). */
export function nextBackoff(previousMs: number, maxMs: number): number {
  return Math.min(2 * previousMs, maxMs);
}

/**
 * Where instance `index` of `count` starts: spread evenly over one renew interval, with jitter
 * inside its slot, so that thousands of nodes do not register in one burst.
 */
export function startOffsetMs(index: number, count: number, renewMs: number, u: number): number {
  return ((index + u) / Math.max(1, count)) * renewMs;
}
