/**
 * The generator watches itself: event-loop delay, event-loop utilisation and schedule lag per
 * worker, and a judgement of whether the generator, not the API server, was the bottleneck.
 */
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';

/** Event-loop figures of one worker over some span of time. */
export interface LoopSample {
  /** Delay beyond the monitor's resolution, in ms (3 decimals). */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
  /** Share of the span the event loop was busy, in [0, 1]. */
  readonly utilization: number;
}

/**
 * Samples the event loop of the thread that creates it, with two `monitorEventLoopDelay`
 * histograms (one reset per interval, one for the whole run; a monitor cannot be merged into
 * another) and `performance.eventLoopUtilization` deltas. Call `stop` when done.
 */
export class EventLoopMonitor {
  private readonly perInterval: IntervalHistogram;
  private readonly wholeRun: IntervalHistogram;
  private startElu: EventLoopUtilization;
  private intervalElu: EventLoopUtilization;

  constructor(private readonly resolutionMs = 10) {
    this.perInterval = monitorEventLoopDelay({ resolution: resolutionMs });
    this.wholeRun = monitorEventLoopDelay({ resolution: resolutionMs });
    this.perInterval.enable();
    this.wholeRun.enable();
    this.startElu = this.intervalElu = performance.eventLoopUtilization();
  }

  /** Figures since the previous `interval` call (or construction); starts a new interval. */
  interval(): LoopSample {
    const now = performance.eventLoopUtilization();
    const sample = this.sample(
      this.perInterval,
      performance.eventLoopUtilization(now, this.intervalElu),
    );
    this.perInterval.reset();
    this.intervalElu = now;
    return sample;
  }

  /** Starts the whole-run figures afresh (at the end of a warm-up). */
  restartTotal(): void {
    this.wholeRun.reset();
    this.startElu = performance.eventLoopUtilization();
  }

  /** Figures since construction or the last `restartTotal`. */
  total(): LoopSample {
    return this.sample(this.wholeRun, performance.eventLoopUtilization(this.startElu));
  }

  stop(): void {
    this.perInterval.disable();
    this.wholeRun.disable();
  }

  /** The monitor's histogram holds whole timer periods in ns; report only the excess. */
  private sample(delay: IntervalHistogram, elu: EventLoopUtilization): LoopSample {
    const excessMs = (ns: number): number =>
      delay.count === 0 ? 0 : Math.max(0, Math.round(ns / 1000 - this.resolutionMs * 1000) / 1000);
    return {
      eventLoopDelayMs: { p99: excessMs(delay.percentile(99)), max: excessMs(delay.max) },
      utilization: round3(elu.utilization),
    };
  }
}

export interface SaturationThresholds {
  readonly utilization: number;
  readonly scheduleLagP99Ms: number;
  readonly eventLoopDelayP99Ms: number;
  readonly dropped: number;
}

/**
 * Above any of these, the generator is judged saturated: its own load, not the server, shaped
 * the numbers. Utilisation near 1 means callbacks queue behind each other; schedule lag and
 * event-loop delay beyond a few timer periods mean sends went out late; a dropped send means
 * the offered load was not the intended one (the in-flight cap was hit).
 */
export const SATURATION_THRESHOLDS: SaturationThresholds = {
  utilization: 0.9,
  scheduleLagP99Ms: 10,
  eventLoopDelayP99Ms: 50,
  dropped: 0,
};

export interface SaturationInput {
  readonly eventLoopDelayP99Ms: number;
  readonly utilization: number;
  readonly scheduleLagP99Ms: number;
  readonly dropped: number;
}

export interface SaturationJudgement {
  readonly saturated: boolean;
  /** One human-readable sentence per threshold exceeded; empty when not saturated. */
  readonly reasons: readonly string[];
}

/** Pure. Each figure strictly above its threshold adds a reason. */
export function judgeSaturation(
  input: SaturationInput,
  thresholds: SaturationThresholds = SATURATION_THRESHOLDS,
): SaturationJudgement {
  const reasons: string[] = [];
  if (input.utilization > thresholds.utilization) {
    reasons.push(
      `event-loop utilization ${input.utilization} > ${thresholds.utilization}: the generator's CPU was busy`,
    );
  }
  if (input.scheduleLagP99Ms > thresholds.scheduleLagP99Ms) {
    reasons.push(
      `schedule lag p99 ${input.scheduleLagP99Ms} ms > ${thresholds.scheduleLagP99Ms} ms: sends went out late`,
    );
  }
  if (input.eventLoopDelayP99Ms > thresholds.eventLoopDelayP99Ms) {
    reasons.push(
      `event-loop delay p99 ${input.eventLoopDelayP99Ms} ms > ${thresholds.eventLoopDelayP99Ms} ms: the event loop was blocked`,
    );
  }
  if (input.dropped > thresholds.dropped) {
    reasons.push(
      `${input.dropped} sends dropped at the in-flight cap: the intended load was not offered`,
    );
  }
  return { saturated: reasons.length > 0, reasons };
}

/** The `generator` section of a result. */
export interface GeneratorHealth extends SaturationJudgement {
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
  readonly utilization: number;
  readonly scheduleLagMs: { readonly p99: number };
}

/** One worker's health over the run. */
export function generatorHealth(
  loop: LoopSample,
  scheduleLagP99Ms: number,
  dropped: number,
  thresholds: SaturationThresholds = SATURATION_THRESHOLDS,
): GeneratorHealth {
  const judgement = judgeSaturation(
    {
      eventLoopDelayP99Ms: loop.eventLoopDelayMs.p99,
      utilization: loop.utilization,
      scheduleLagP99Ms,
      dropped,
    },
    thresholds,
  );
  return {
    eventLoopDelayMs: loop.eventLoopDelayMs,
    utilization: loop.utilization,
    scheduleLagMs: { p99: scheduleLagP99Ms },
    ...judgement,
  };
}

/**
 * The run's health from each worker's: the worst figure of any worker, saturated when any worker
 * was, with each reason prefixed by its worker's index.
 */
export function combineWorkerHealth(workers: readonly GeneratorHealth[]): GeneratorHealth {
  const worst = (pick: (w: GeneratorHealth) => number): number => Math.max(0, ...workers.map(pick));
  const reasons = workers.flatMap((w, index) => w.reasons.map((r) => `worker ${index}: ${r}`));
  return {
    eventLoopDelayMs: {
      p99: worst((w) => w.eventLoopDelayMs.p99),
      max: worst((w) => w.eventLoopDelayMs.max),
    },
    utilization: worst((w) => w.utilization),
    scheduleLagMs: { p99: worst((w) => w.scheduleLagMs.p99) },
    saturated: reasons.length > 0,
    reasons,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
