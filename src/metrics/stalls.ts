/**
 * The worst event-loop block of a run, and the phase it came in. `monitorEventLoopDelay`
 * (generator-health.ts) gives the largest delay but not when it happened; a block in start-up
 * (thousands of instances built at once) calls for another remedy than one in the measured
 * window. A watchdog timer that should fire every `periodMs` tells both: when it fires late, the
 * loop was blocked for about that long, from just after the tick before.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { round3 } from './format.js';

/**
 * Where a run is. `start-up`: before the load starts (the coordinator setting up, spawning and
 * waiting for workers; a worker building its transports and actor instances). `fixtures`: the
 * coordinator creating the scenario's objects. `warm-up`: from the start of the load to the end
 * of `spec.warmup`, when actors register, make their first LISTs and open their watches (with no
 * warm-up they do so in `measured`). `measured`: the measured window. `drain`: after the deadline
 * or a stop, while requests in flight finish.
 */
export const stallPhaseSchema = z.enum(['start-up', 'fixtures', 'warm-up', 'measured', 'drain']);
export type StallPhase = z.infer<typeof stallPhaseSchema>;

/** One thread's worst event-loop block. */
export const stallSchema = z.object({
  /** How long the loop was blocked beyond the watchdog's period, ms. */
  ms: z.number(),
  phase: stallPhaseSchema,
});
export type Stall = z.infer<typeof stallSchema>;

/** The run's worst block, of any thread: a worker's index, absent for the coordinator's thread. */
export const worstStallSchema = stallSchema.extend({ worker: z.number().optional() });
export type WorstStall = z.infer<typeof worstStallSchema>;

/** How often the watchdog wakes: the error of each figure, at 50 wake-ups a second. */
export const STALL_WATCHDOG_PERIOD_MS = 20;

/**
 * Pure. Keeps the worst lateness of ticks that should come every `periodMs`. A late tick means
 * the loop was blocked since the tick before, so the block counts in that tick's phase.
 */
export class StallTracker {
  private last: { readonly t: number; readonly phase: StallPhase } | undefined;
  private worstSoFar: Stall | undefined;

  constructor(private readonly periodMs: number = STALL_WATCHDOG_PERIOD_MS) {}

  tick(nowMs: number, phase: StallPhase): void {
    if (this.last !== undefined) {
      const late = nowMs - this.last.t - this.periodMs;
      if (late > (this.worstSoFar?.ms ?? 0)) {
        this.worstSoFar = { ms: round3(late), phase: this.last.phase };
      }
    }
    this.last = { t: nowMs, phase };
  }

  /** The worst block so far; undefined when no tick was late. */
  worst(): Stall | undefined {
    return this.worstSoFar;
  }
}

/**
 * The calling thread's watchdog: a timer every `STALL_WATCHDOG_PERIOD_MS` that asks `phase` where
 * the run is. It keeps no process alive. Call `stop` when done; `worst` still answers after it.
 */
export class StallWatchdog {
  private readonly tracker = new StallTracker();
  private readonly timer: NodeJS.Timeout;

  constructor(phase: () => StallPhase) {
    this.tracker.tick(performance.now(), phase());
    this.timer = setInterval(
      () => this.tracker.tick(performance.now(), phase()),
      STALL_WATCHDOG_PERIOD_MS,
    );
    this.timer.unref();
  }

  worst(): Stall | undefined {
    return this.tracker.worst();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Pure. Where a run is at `t` ms after its start (negative: before it), once it has started:
 * `stopped` is whether the sending has ended early (a stop, Ctrl-C).
 */
export function phaseAt(
  t: number,
  spec: { readonly warmup: number; readonly duration: number },
  stopped: boolean,
): StallPhase {
  if (t < 0) return 'start-up';
  if (stopped || t >= spec.duration) return 'drain';
  return t < spec.warmup ? 'warm-up' : 'measured';
}

/** Pure. The worst of several threads' blocks (a worker's index, or none for the coordinator). */
export function worstOf(stalls: readonly (WorstStall | undefined)[]): WorstStall | undefined {
  let worst: WorstStall | undefined;
  for (const s of stalls) if (s !== undefined && s.ms > (worst?.ms ?? -1)) worst = s;
  return worst;
}
