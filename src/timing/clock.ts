import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { whenAborted } from '../errors.js';

/** A monotonic millisecond clock that schedulers wait on. Injected, so tests can drive time. */
export interface Clock {
  /** Monotonic time in milliseconds; only differences are meaningful. */
  now(): number;
  /**
   * Resolves once `now() >= t`, or as soon as `signal` aborts (it never rejects). Resolves
   * immediately when `t` is already past.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `callback` once, at the first opportunity when `now() >= t` (never before, never
   * synchronously), unless the returned cancel function is called first. The primitive under
   * `sleepUntil`, for a dispatcher that keeps one timer and moves it.
   */
  setTimer(t: number, callback: () => void): () => void;
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
  /**
   * Timers fire on multiples of this many ms (of `now()`), never earlier than asked: every timer
   * due within one step shares one wake-up. 1 (the default) is Node's own timer granularity.
   */
  readonly resolutionMs?: number;
}

/**
 * A clock on `performance.now()` and Node timers: one pending timer per waiter.
 *
 * Timer delays are whole milliseconds, rounded up. libuv keeps time in whole ms, and Node hands
 * it a fractional delay truncated: a 1.9 ms wait fired after ~1 ms, found the time not yet
 * reached and armed a second timer, so most waits cost two wake-ups instead of one (1.7 timer
 * callbacks per send at 500/s), and each wake-up costs tens of µs of CPU on a VM. Rounding up
 * leaves the lag as it was (it is up to ~1 ms either way, and recorded).
 */
export function createRealClock(options: RealClockOptions = {}): Clock {
  const window = options.yieldWindowMs ?? 0;
  const resolution = options.resolutionMs ?? 1;
  const now = (): number => performance.now();
  const setTimer = (due: number, callback: () => void): (() => void) => {
    const t = resolution > 1 ? Math.ceil(due / resolution) * resolution : due;
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const step = (): void => {
      timer = immediate = undefined;
      const left = t - now();
      if (left <= 0) callback();
      else if (left > window) timer = setTimeout(step, Math.ceil(left - window));
      else immediate = setImmediate(step);
    };
    const left = t - now();
    if (left > window) timer = setTimeout(step, Math.ceil(left - window));
    else immediate = setImmediate(step);
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      timer = immediate = undefined;
    };
  };
  return {
    now,
    setTimer,
    sleepUntil(t, signal) {
      if (t <= now() || signal?.aborted === true) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const wake = () => {
          cancel();
          unsubscribe?.();
          resolve();
        };
        const cancel = setTimer(t, wake);
        const unsubscribe = signal === undefined ? undefined : whenAborted(signal, wake);
      });
    },
  };
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
      const waiter = this.insert(t, resolve);
      signal?.addEventListener('abort', () => this.release(waiter), { once: true });
    });
  }

  setTimer(t: number, callback: () => void): () => void {
    const waiter = this.insert(Math.max(t, this.time), callback);
    if (t <= this.time) queueMicrotask(() => this.release(waiter));
    return () => this.remove(waiter);
  }

  private insert(t: number, resolve: () => void): Waiter {
    const waiter: Waiter = { t, resolve };
    const index = this.waiters.findIndex((w) => w.t > t);
    this.waiters.splice(index === -1 ? this.waiters.length : index, 0, waiter);
    return waiter;
  }

  private remove(waiter: Waiter): boolean {
    const index = this.waiters.indexOf(waiter);
    if (index === -1) return false;
    this.waiters.splice(index, 1);
    return true;
  }

  /** Number of pending `sleepUntil` calls and timers. */
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
    if (this.remove(waiter)) waiter.resolve();
  }
}

/** Lets every queued promise continuation run. */
function settle(): Promise<void> {
  return yieldToLoop();
}
