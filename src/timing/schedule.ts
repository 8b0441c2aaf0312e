/**
 * Open-loop schedules: the intended send times of one actor instance.
 *
 * Every time is computed from the run start (k6 constant/ramping-arrival-rate, wrk2), never from
 * the previous send, so a late send never shifts the ones after it.
 */
import type { Clock } from './clock.js';
import { dispatcherFor } from './dispatcher.js';
import type { Rng } from './random.js';

/** The intended send times of one actor instance, in increasing order. */
export interface Schedule {
  /** Intended time of the next send, in ms since run start, or undefined once the schedule is over. */
  next(): number | undefined;
}

/** A linear ramp from the previous stage's rate (or `startRate`) to `target`, in sends/s. */
export interface Stage {
  readonly durationMs: number;
  readonly target: number;
}

/** Sends at `phaseMs + k × 1000 / ratePerSec`, for every such time before `durationMs`. */
export interface ConstantSpec {
  readonly kind: 'constant';
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** In [0, 1000 / ratePerSec); spreads instances that share a rate. Default 0. */
  readonly phaseMs?: number;
}

/** A Poisson process: exponential gaps with mean 1000 / ratePerSec ms, until `durationMs`. */
export interface PoissonSpec {
  readonly kind: 'poisson';
  readonly ratePerSec: number;
  readonly durationMs: number;
}

/**
 * Piecewise-linear rate; send k goes out at the instant the cumulative expected count
 * ∫₀ᵗ rate reaches k + phase, for every such instant before the end of the last stage.
 */
export interface RampingSpec {
  readonly kind: 'ramping';
  readonly startRate: number;
  readonly stages: readonly Stage[];
  /** Fraction of one send in [0, 1); spreads instances that share a ramp. Default 0. */
  readonly phase?: number;
}

/** A non-homogeneous Poisson process whose intensity is the piecewise-linear rate. */
export interface RampingPoissonSpec {
  readonly kind: 'ramping-poisson';
  readonly startRate: number;
  readonly stages: readonly Stage[];
}

export type DeterministicSpec = ConstantSpec | RampingSpec;
export type ScheduleSpec = DeterministicSpec | PoissonSpec | RampingPoissonSpec;

/** Builds the schedule of one instance; `rng` is only drawn from by the Poisson variants. */
export function createSchedule(spec: ScheduleSpec, rng: Rng): Schedule {
  switch (spec.kind) {
    case 'constant':
      return new ConstantSchedule(spec);
    case 'poisson':
      return new PoissonSchedule(spec, rng);
    case 'ramping':
      return new RampingSchedule(spec);
    case 'ramping-poisson':
      return new RampingPoissonSchedule(spec, rng);
  }
}

/** The exact number of sends a deterministic schedule makes. */
export function expectedCount(spec: DeterministicSpec): number {
  return spec.kind === 'constant'
    ? new ConstantSchedule(spec).count
    : new RampingSchedule(spec).count;
}

/**
 * The expected number of sends: ∫ rate over the schedule's duration, or over its part before
 * `untilMs` (ms since run start) when that ends earlier.
 */
export function meanCount(spec: ScheduleSpec, untilMs = Infinity): number {
  if (spec.kind === 'constant' || spec.kind === 'poisson') {
    return (spec.ratePerSec * Math.max(0, Math.min(spec.durationMs, untilMs))) / 1000;
  }
  return new CumulativeRate(spec.startRate, spec.stages).countBefore(untilMs);
}

/** The phase (fraction of one send) of instance `index` of `count` sharing a schedule. */
export function spreadPhase(index: number, count: number): number {
  return count > 0 ? (index % count) / count : 0;
}

/** Number of integers k >= 0 with k + offset < total. */
function countBelow(total: number, offset: number): number {
  return Math.max(0, Math.ceil(total - offset));
}

class ConstantSchedule implements Schedule {
  readonly count: number;
  private readonly phaseMs: number;
  private k = 0;

  constructor(private readonly spec: ConstantSpec) {
    validateConstant(spec);
    this.phaseMs = spec.phaseMs ?? 0;
    this.count = countBelow(meanCount(spec), (this.phaseMs * spec.ratePerSec) / 1000);
  }

  next(): number | undefined {
    if (this.k >= this.count) {
      return undefined;
    }
    return this.phaseMs + (this.k++ * 1000) / this.spec.ratePerSec;
  }
}

class PoissonSchedule implements Schedule {
  private readonly meanGapMs: number;
  private t = 0;

  constructor(
    private readonly spec: PoissonSpec,
    private readonly rng: Rng,
  ) {
    validateRate(spec.ratePerSec);
    validateDuration(spec.durationMs);
    this.meanGapMs = 1000 / spec.ratePerSec;
  }

  next(): number | undefined {
    if (this.t >= this.spec.durationMs) {
      return undefined;
    }
    this.t += this.rng.exp(this.meanGapMs);
    return this.t < this.spec.durationMs ? this.t : undefined;
  }
}

class RampingSchedule implements Schedule {
  readonly count: number;
  private readonly rate: CumulativeRate;
  private readonly phase: number;
  private k = 0;

  constructor(spec: RampingSpec) {
    this.phase = spec.phase ?? 0;
    validatePhase(this.phase);
    this.rate = new CumulativeRate(spec.startRate, spec.stages);
    this.count = countBelow(this.rate.total, this.phase);
  }

  next(): number | undefined {
    if (this.k >= this.count) {
      return undefined;
    }
    return this.rate.timeReaching(this.k++ + this.phase);
  }
}

class RampingPoissonSchedule implements Schedule {
  private readonly rate: CumulativeRate;
  private y = 0;

  constructor(
    spec: RampingPoissonSpec,
    private readonly rng: Rng,
  ) {
    this.rate = new CumulativeRate(spec.startRate, spec.stages);
  }

  /** Unit-rate exponential arrivals mapped through the inverse cumulative rate (time change). */
  next(): number | undefined {
    if (this.y >= this.rate.total) {
      return undefined;
    }
    this.y += this.rng.exp(1);
    return this.y < this.rate.total ? this.rate.timeReaching(this.y) : undefined;
  }
}

/** One linear piece of the rate, in sends per ms. */
interface Segment {
  readonly startMs: number;
  readonly durationMs: number;
  /** Rate at the segment start, per ms. */
  readonly rate0: number;
  /** Half the rate's slope, per ms². */
  readonly halfSlope: number;
  /** Cumulative count at the segment start and end. */
  readonly countStart: number;
  readonly countEnd: number;
}

/**
 * The cumulative count Λ(t) = ∫₀ᵗ rate of a piecewise-linear rate, and its inverse. Queries to
 * `timeReaching` must not decrease: a cursor walks the segments once.
 */
class CumulativeRate {
  readonly total: number;
  private readonly segments: readonly Segment[];
  private cursor = 0;

  constructor(startRate: number, stages: readonly Stage[]) {
    validateRate(startRate);
    const segments: Segment[] = [];
    let startMs = 0;
    let rate = startRate;
    let count = 0;
    for (const { durationMs, target } of stages) {
      validateDuration(durationMs);
      validateRate(target);
      if (durationMs > 0) {
        const countEnd = count + ((rate + target) / 2) * (durationMs / 1000);
        segments.push({
          startMs,
          durationMs,
          rate0: rate / 1000,
          halfSlope: (target - rate) / 1000 / (2 * durationMs),
          countStart: count,
          countEnd,
        });
        startMs += durationMs;
        count = countEnd;
      }
      rate = target;
    }
    this.segments = segments;
    this.total = count;
  }

  /** Λ(t): the expected count before `t` ms (0 before the start, `total` after the end). */
  countBefore(t: number): number {
    let count = 0;
    for (const segment of this.segments) {
      if (t <= segment.startMs) break;
      const tau = Math.min(segment.durationMs, t - segment.startMs);
      count = segment.countStart + segment.rate0 * tau + segment.halfSlope * tau * tau;
    }
    return count;
  }

  /** The earliest t with Λ(t) >= y, for 0 <= y <= total. */
  timeReaching(y: number): number {
    let segment = this.segments[this.cursor];
    while (
      segment !== undefined &&
      y > segment.countEnd &&
      this.cursor < this.segments.length - 1
    ) {
      segment = this.segments[++this.cursor];
    }
    if (segment === undefined) {
      return 0;
    }
    return (
      segment.startMs + Math.min(segment.durationMs, solveRamp(segment, y - segment.countStart))
    );
  }
}

/**
 * The τ >= 0 where rate0·τ + halfSlope·τ² = due, in the form 2c / (b + √(b² + 4ac)), which is
 * stable for rising, falling and flat rates and for a zero start rate.
 */
function solveRamp({ rate0, halfSlope }: Segment, due: number): number {
  if (due <= 0) {
    return 0;
  }
  const discriminant = Math.max(0, rate0 * rate0 + 4 * halfSlope * due);
  return (2 * due) / (rate0 + Math.sqrt(discriminant));
}

function validateConstant(spec: ConstantSpec): void {
  validateRate(spec.ratePerSec);
  validateDuration(spec.durationMs);
  const phaseMs = spec.phaseMs ?? 0;
  if (!(phaseMs >= 0) || (spec.ratePerSec > 0 && phaseMs >= 1000 / spec.ratePerSec)) {
    throw new RangeError(`phaseMs must be in [0, 1000 / ratePerSec), got ${phaseMs}`);
  }
}

function validatePhase(phase: number): void {
  if (!(phase >= 0 && phase < 1)) {
    throw new RangeError(`phase must be in [0, 1), got ${phase}`);
  }
}

function validateRate(rate: number): void {
  if (!(rate >= 0 && Number.isFinite(rate))) {
    throw new RangeError(`rate must be a finite number >= 0, got ${rate}`);
  }
}

function validateDuration(durationMs: number): void {
  if (!(durationMs >= 0 && Number.isFinite(durationMs))) {
    throw new RangeError(`durationMs must be a finite number >= 0, got ${durationMs}`);
  }
}

export interface DispatchOptions {
  readonly schedule: Schedule;
  readonly clock: Clock;
  /** Clock time of the run start; schedule times are relative to it. */
  readonly originMs: number;
  /** Sends intended at or after this run-relative time never fire. Default: none. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called once per send, in schedule order, with run-relative times (actualMs >= intendedMs).
   * Never called concurrently. It must not block: start the request and return.
   */
  readonly onSend: (intendedMs: number, actualMs: number) => void;
}

/**
 * Drives a schedule: fires each send once its intended time has come, with run-relative
 * intended and actual times. After a stall, all overdue sends fire at once with their original
 * intended times, so their lag is recorded and later sends keep their times. Resolves with the
 * number of sends fired, when the schedule ends, the deadline passes, or `signal` aborts.
 *
 * Every schedule on one clock shares that clock's `SendDispatcher` (dispatcher.ts): one
 * pending timer per clock, however many schedules run on it.
 */
export function dispatch(options: DispatchOptions): Promise<number> {
  return dispatcherFor(options.clock).add(options);
}

/**
 * Caps the requests in flight. A send for which `tryAcquire` fails must be counted as dropped by
 * the caller, never queued or delayed.
 */
export class InFlightLimiter {
  private active = 0;

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1)) {
      throw new RangeError(`max in-flight must be an integer >= 1, got ${max}`);
    }
  }

  get inFlight(): number {
    return this.active;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.active >= this.max) {
      return false;
    }
    this.active++;
    return true;
  }

  /** Frees a slot taken by a successful `tryAcquire`; call exactly once per request. */
  release(): void {
    if (this.active === 0) {
      throw new Error('InFlightLimiter.release() without a matching tryAcquire()');
    }
    this.active--;
  }
}
