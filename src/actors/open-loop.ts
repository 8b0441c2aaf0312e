import { dispatcherFor } from '../timing/dispatcher.js';
import {
  dispatch,
  InFlightLimiter,
  spreadPhase,
  type Schedule,
  type ScheduleSpec,
} from '../timing/schedule.js';
import type { GroupIntervalCollector } from '../metrics/timeline-collector.js';
import type { ActorContext } from './actor.js';

/**
 * The in-flight side of open-loop sending, the same for every actor: a send
 * due while `max` requests are in flight is counted as dropped, never queued;
 * a started one records its schedule lag (its requests count as sent where
 * they start, in sendRecorded); `drained` waits for the rest.
 * Used from one thread only.
 */
export class InFlight {
  private readonly limiter: InFlightLimiter;
  private wakeWhenIdle: (() => void) | undefined;
  private readonly release = (): void => {
    const wasFull = !this.hasRoom();
    this.limiter.release();
    if (this.limiter.inFlight === 0 && this.wakeWhenIdle !== undefined) {
      const wake = this.wakeWhenIdle;
      this.wakeWhenIdle = undefined;
      wake();
    }
    if (wasFull) this.onRelease?.();
  };

  /**
   * `onRelease` runs when a request finishes and frees a slot while the cap was reached
   * (runOpenLoop pokes the dispatcher with it, so that a send already due takes the slot now
   * instead of being dropped at the next timer wake-up). Only then: below the cap, due sends
   * wait for the timer and go out together, one wake-up for several.
   */
  constructor(
    private readonly collector: GroupIntervalCollector,
    max: number,
    private readonly onRelease?: () => void,
  ) {
    this.limiter = new InFlightLimiter(max);
  }

  /**
   * Starts `send(intendedMs)` if a slot is free (times are run-relative ms).
   * Returns false, having counted a drop, when the cap is reached.
   */
  start(
    intendedMs: number,
    actualMs: number,
    send: (intendedMs: number) => Promise<unknown>,
  ): boolean {
    if (!this.limiter.tryAcquire()) {
      this.collector.dropped(intendedMs);
      return false;
    }
    this.collector.lag(intendedMs, (actualMs - intendedMs) * 1000);
    send(intendedMs).then(this.release, this.release);
    return true;
  }

  /** True when a send could start now. */
  hasRoom(): boolean {
    return this.limiter.inFlight < this.limiter.max;
  }

  /** Resolves once nothing started here is still in flight. */
  drained(): Promise<void> {
    if (this.limiter.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.wakeWhenIdle = resolve));
  }
}

/**
 * Drives `send` on an open-loop schedule until the deadline or abort, then
 * waits for the requests still in flight.
 */
export async function runOpenLoop(
  ctx: ActorContext,
  schedule: Schedule,
  maxInFlight: number,
  send: (intendedMs: number) => Promise<unknown>,
): Promise<void> {
  const dispatcher = dispatcherFor(ctx.clock);
  const inFlight = new InFlight(ctx.collector, maxInFlight, () => dispatcher.poke());
  await dispatch({
    schedule,
    clock: ctx.clock,
    originMs: ctx.originMs,
    deadlineMs: ctx.deadlineMs,
    signal: ctx.signal,
    onSend: (intendedMs, actualMs) => inFlight.start(intendedMs, actualMs, send),
  });
  await inFlight.drained();
}

/**
 * A steady rate for one of `count` instances: Poisson arrivals, or constant
 * ones phase-shifted so that the instances do not fire in lockstep.
 */
export function steadySchedule(
  ratePerSec: number,
  arrival: 'constant' | 'poisson',
  instance: { readonly index: number; readonly count: number },
  durationMs: number,
): ScheduleSpec {
  return arrival === 'poisson'
    ? { kind: 'poisson', ratePerSec, durationMs }
    : {
        kind: 'constant',
        ratePerSec,
        durationMs,
        phaseMs: (spreadPhase(instance.index, instance.count) * 1000) / ratePerSec,
      };
}
