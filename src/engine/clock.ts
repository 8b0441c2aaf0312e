import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** A monotonic millisecond clock that schedulers wait on. Injected, so tests can drive time. */
export interface Clock {
  /** Monotonic time in milliseconds; only differences are meaningful. */
  now(): number;
  /**
   * Resolves once `now() >= t`, or as soon as `signal` aborts (it never rejects). Resolves
   * immediately when `t` is already past.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
}

export interface RealClockOptions {
  /**
   * The last part of a wait, in ms, spent yielding to the event loop (setImmediate) instead of
   * on a timer. Node timers have 1 ms granularity, so with 0 (the default) a send goes out up to
   * ~1 ms late, and that lag is recorded. A window of 1 brings the median lag to a few µs, but
   * the loop stays busy for the whole window: with 100 instances at 200/s each it raised
   * event-loop utilisation from 0.04 to 0.75, which starves I/O and reads as saturation. It never
   * spins synchronously.
   */
  readonly yieldWindowMs?: number;
}

/** A clock on `performance.now()` and Node timers: one pending timer per waiter. */
export function createRealClock(options: RealClockOptions = {}): Clock {
  const window = options.yieldWindowMs ?? 0;
  const now = (): number => performance.now();
  return {
    now,
    sleepUntil(t, signal) {
      return new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const wake = () => {
          clearTimeout(timer);
          unsubscribe?.();
          resolve();
        };
        const unsubscribe = signal === undefined ? undefined : onAbort(signal, wake);
        const step = (): void => {
          const left = t - now();
          if (left <= 0 || signal?.aborted === true) wake();
          else if (left > window) timer = setTimeout(step, left - window);
          else setImmediate(step);
        };
        step();
      });
    },
  };
}

/**
 * Wakers per abort signal, with a single 'abort' listener per signal: the hot
 * path sleeps thousands of times a second, and adding and removing a listener
 * on every sleep costs more than the timer itself.
 */
const wakers = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, wake: () => void): () => void {
  let set = wakers.get(signal);
  if (set === undefined) {
    const all = (set = new Set());
    wakers.set(signal, all);
    signal.addEventListener(
      'abort',
      () => {
        for (const w of all) w();
        all.clear();
      },
      { once: true },
    );
  }
  set.add(wake);
  return () => set.delete(wake);
}

interface Waiter {
  readonly t: number;
  readonly resolve: () => void;
}

/**
 * A clock for tests: time moves only when the test calls `advanceTo`, `advance` or `stall`.
 * Waiters are kept in due order; registering one does not create a real timer.
 */
export class FakeClock implements Clock {
  private time: number;
  private waiters: Waiter[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (t <= this.time || signal?.aborted === true) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { t, resolve };
      const index = this.waiters.findIndex((w) => w.t > t);
      this.waiters.splice(index === -1 ? this.waiters.length : index, 0, waiter);
      signal?.addEventListener('abort', () => this.release(waiter), { once: true });
    });
  }

  /** Number of pending `sleepUntil` calls. */
  get pending(): number {
    return this.waiters.length;
  }

  /**
   * Moves time forward to `t`, waking each waiter at exactly its due time, in order, and letting
   * the woken code run (and register new waiters) before moving on, like a timer that is never late.
   * Code already scheduled to run gets to run first.
   */
  async advanceTo(t: number): Promise<void> {
    await settle();
    for (
      let first = this.waiters[0];
      first !== undefined && first.t <= t;
      first = this.waiters[0]
    ) {
      this.time = Math.max(this.time, first.t);
      this.release(first);
      await settle();
    }
    this.time = Math.max(this.time, t);
    await settle();
  }

  /** `advanceTo(now() + ms)`. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.time + ms);
  }

  /**
   * Moves time forward by `ms` as if the event loop had been blocked: every waiter that fell due
   * in the meantime wakes only at the end, all at once.
   */
  async stall(ms: number): Promise<void> {
    this.time += ms;
    await this.advanceTo(this.time);
  }

  private release(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index !== -1) {
      this.waiters.splice(index, 1);
      waiter.resolve();
    }
  }
}

/** Lets every queued promise continuation run. */
function settle(): Promise<void> {
  return yieldToLoop();
}
