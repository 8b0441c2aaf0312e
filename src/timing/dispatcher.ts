/**
 * One timer for every open-loop schedule on a clock: a min-heap of each schedule's next intended
 * send time, and a single pending `Clock.setTimer` on the earliest. A worker with 2,000 actor
 * instances holds one timer instead of 2,000, and sends that fall due together go out in one
 * wake-up.
 *
 * The contract is `dispatch`'s (schedule.ts), per schedule: every intended time comes from the
 * schedule (computed from the run start, never from the previous wake-up), overdue sends fire
 * after a stall with their own intended times, a late send never shifts later ones, nothing
 * intended at or after the deadline fires, and an abort ends the schedule.
 */
import type { Clock } from './clock.js';
import type { DispatchOptions, Schedule } from './schedule.js';

interface Entry {
  /** Clock time of the next send: `originMs + t`. */
  due: number;
  /** Run-relative intended time of the next send. */
  t: number;
  fired: number;
  readonly schedule: Schedule;
  readonly originMs: number;
  readonly deadlineMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onSend: (intendedMs: number, actualMs: number) => void;
  readonly resolve: (fired: number) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Drives any number of schedules on one clock. Used from one thread only. `onSend` callbacks
 * are never called concurrently or re-entrantly; across schedules, due sends fire in order of
 * their intended times.
 */
export class SendDispatcher {
  private readonly heap: Entry[] = [];
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private firing = false;
  private sweepPending = false;
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly clock: Clock) {}

  /** Schedules currently being driven. */
  get size(): number {
    return this.heap.length;
  }

  /**
   * Drives one schedule; resolves with the number of sends fired when it ends, its deadline
   * passes or its signal aborts. Rejects (and drops the schedule) if `onSend` throws.
   */
  add(options: DispatchOptions): Promise<number> {
    const { schedule, signal } = options;
    const deadlineMs = options.deadlineMs ?? Infinity;
    if (signal?.aborted === true) return Promise.resolve(0);
    const t = schedule.next();
    if (t === undefined || t >= deadlineMs) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      this.push({
        due: options.originMs + t,
        t,
        fired: 0,
        schedule,
        originMs: options.originMs,
        deadlineMs,
        signal,
        onSend: options.onSend,
        resolve,
        reject,
      });
      if (signal !== undefined && !this.watched.has(signal)) {
        this.watched.add(signal);
        signal.addEventListener('abort', () => this.sweep(), { once: true });
      }
      this.arm();
    });
  }

  /**
   * Fires whatever is due now, without waiting for the timer. Callers poke when something that
   * may let a due send start has just happened (a request finished and freed an in-flight
   * slot), so that the send is not counted as dropped at the next timer wake-up. Cheap when
   * nothing is due: one clock read.
   */
  poke(): void {
    const first = this.heap[0];
    if (!this.firing && first !== undefined && first.due <= this.clock.now()) this.fire();
  }

  private readonly onTimer = (): void => {
    this.cancelTimer = undefined;
    this.timerAt = Infinity;
    this.fire();
  };

  /** Fires every due send, earliest intended time first, then re-arms the timer. */
  private fire(): void {
    this.firing = true;
    try {
      for (let e = this.heap[0]; e !== undefined; e = this.heap[0]) {
        const now = this.clock.now();
        if (e.due > now) break;
        if (e.signal?.aborted === true) {
          this.finish(this.popTop());
          continue;
        }
        try {
          e.onSend(e.t, Math.max(e.t, now - e.originMs));
        } catch (err) {
          this.popTop();
          e.reject(err);
          continue;
        }
        e.fired++;
        // A function, not an inline check: `onSend` may have aborted the signal.
        const t = isAborted(e.signal) ? undefined : e.schedule.next();
        if (t === undefined || t >= e.deadlineMs) {
          this.finish(this.popTop());
        } else {
          e.t = t;
          e.due = e.originMs + t;
          this.siftDown(0);
        }
      }
    } finally {
      this.firing = false;
    }
    if (this.sweepPending) this.sweep();
    else this.arm();
  }

  /** Ends every schedule whose signal has aborted. */
  private sweep(): void {
    if (this.firing) {
      this.sweepPending = true;
      return;
    }
    this.sweepPending = false;
    const kept: Entry[] = [];
    for (const e of this.heap) {
      if (e.signal?.aborted === true) this.finish(e);
      else kept.push(e);
    }
    this.heap.length = 0;
    for (const e of kept) this.push(e);
    this.arm();
  }

  private finish(e: Entry): void {
    e.resolve(e.fired);
  }

  /** Keeps one timer, on the earliest due time (none when nothing is left). */
  private arm(): void {
    const due = this.heap[0]?.due ?? Infinity;
    if (due === this.timerAt) return;
    // Moving the timer costs far less than a wake-up that finds nothing due.
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = due;
    if (due !== Infinity) this.cancelTimer = this.clock.setTimer(due, this.onTimer);
  }

  private push(e: Entry): void {
    const heap = this.heap;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(e, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = e;
  }

  private popTop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(heap[right]!, heap[child]!)) child = right;
      const c = heap[child]!;
      if (!before(c, e)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = e;
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due;
}

const dispatchers = new WeakMap<Clock, SendDispatcher>();

/** The dispatcher of a clock: one per clock, so every schedule of a worker shares one timer. */
export function dispatcherFor(clock: Clock): SendDispatcher {
  let d = dispatchers.get(clock);
  if (d === undefined) dispatchers.set(clock, (d = new SendDispatcher(clock)));
  return d;
}
