/**
 * The generator watches itself: event-loop delay, event-loop utilisation and schedule lag per
 * worker, and a judgement of whether the generator, not the API server, was the bottleneck:
 * figures over a threshold, then why (lag-cause.ts: its own work, a busy host, a stalled server).
 * Apart from that, whether the intended load was offered at all: sends dropped at an actor
 * group's in-flight cap are the server's back-pressure as often as the generator's fault, so
 * they are judged on their own (`judgeCaps`), never as saturation.
 */
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import { z } from 'zod';
import { formatMs, round3 } from './format.js';
import { workerCpuSchema } from './process-cost.js';
import { worstStallSchema } from './stalls.js';
import {
  judgeLagCause,
  lagCauseSchema,
  lagEvidenceSchema,
  sumLagEvidence,
  worstLagCause,
  type LagCause,
  type LagEvidence,
} from './lag-cause.js';

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
}

/**
 * Above any of these, the generator lagged, and is judged saturated unless a busy host or a
 * stalled server explains it (lag-cause.ts). Utilisation near 1 means callbacks queue behind each other; schedule lag and
 * event-loop delay beyond a few timer periods mean sends went out late. Dropped sends are not
 * among them: a slow server fills an in-flight cap as surely as a busy generator (`judgeCaps`).
 */
export const SATURATION_THRESHOLDS: SaturationThresholds = {
  utilization: 0.9,
  scheduleLagP99Ms: 10,
  eventLoopDelayP99Ms: 50,
};

/** The figures judged, in the thresholds' shape. */
export type SaturationInput = SaturationThresholds;

export type SaturationJudgement = Pick<GeneratorHealth, 'saturated' | 'reasons'>;

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
  return { saturated: reasons.length > 0, reasons };
}

const generatorHealthShape = {
  eventLoopDelayMs: z.object({ p99: z.number(), max: z.number() }),
  utilization: z.number(),
  scheduleLagMs: z.object({ p99: z.number() }),
  /**
   * A threshold was crossed and the generator's own work (or, without CPU readings, an unknown
   * cause) explains it: not a busy host, not a stalled server (`lagCause`).
   */
  saturated: z.boolean(),
  /** One human-readable sentence per threshold exceeded; empty when none was. */
  reasons: z.array(z.string()),
  // Absent from results written before the cause was judged, and when no threshold was crossed.
  /** Why a threshold was crossed (lag-cause.ts). */
  lagCause: lagCauseSchema.optional(),
  /** What the cause was judged on. */
  lagEvidence: lagEvidenceSchema.optional(),
};

/** The generator's own health over a run: saturation and the figures it was judged on. */
export type GeneratorHealth = z.infer<z.ZodObject<typeof generatorHealthShape>>;

/** Pure. Whether one worker's figures, of an interval or the run, cross a threshold. */
export function crossesThresholds(
  loop: LoopSample,
  scheduleLagP99Ms: number,
  thresholds: SaturationThresholds = SATURATION_THRESHOLDS,
): boolean {
  return judgeSaturation(saturationInput(loop, scheduleLagP99Ms), thresholds).saturated;
}

/**
 * One worker's health over the run. With `evidence` (lag-cause.ts), figures over a threshold are
 * saturation only when the generator's own work explains them, not a busy host or a stalled
 * server; without it, they are saturation.
 */
export function generatorHealth(
  loop: LoopSample,
  scheduleLagP99Ms: number,
  evidence?: LagEvidence,
  thresholds: SaturationThresholds = SATURATION_THRESHOLDS,
): GeneratorHealth {
  const { saturated, reasons } = judgeSaturation(
    saturationInput(loop, scheduleLagP99Ms),
    thresholds,
  );
  const lagCause = saturated && evidence !== undefined ? judgeLagCause(evidence) : undefined;
  return {
    eventLoopDelayMs: loop.eventLoopDelayMs,
    utilization: loop.utilization,
    scheduleLagMs: { p99: scheduleLagP99Ms },
    saturated: saturated && (lagCause === undefined || isSaturation(lagCause)),
    reasons,
    ...(lagCause === undefined || evidence === undefined
      ? {}
      : { lagCause, lagEvidence: evidence }),
  };
}

/** The causes that make lag the generator's own: its work, or a cause no reading tells. */
function isSaturation(cause: LagCause): boolean {
  return cause === 'generator' || cause === 'unknown';
}

function saturationInput(loop: LoopSample, scheduleLagP99Ms: number): SaturationInput {
  return {
    eventLoopDelayP99Ms: loop.eventLoopDelayMs.p99,
    utilization: loop.utilization,
    scheduleLagP99Ms,
  };
}

/**
 * The run's health from each worker's: the worst figure of any worker, saturated when any worker
 * was, with each reason prefixed by its worker's index; the cause of the lagging workers (the
 * generator's own work before the rest) and their evidence added up.
 */
export function combineWorkerHealth(workers: readonly GeneratorHealth[]): GeneratorHealth {
  const worst = (pick: (w: GeneratorHealth) => number): number => Math.max(0, ...workers.map(pick));
  const reasons = workers.flatMap((w, index) => w.reasons.map((r) => `worker ${index}: ${r}`));
  const lagCause = worstLagCause(workers.flatMap((w) => w.lagCause ?? []));
  const lagEvidence = sumLagEvidence(workers.flatMap((w) => w.lagEvidence ?? []));
  return {
    eventLoopDelayMs: {
      p99: worst((w) => w.eventLoopDelayMs.p99),
      max: worst((w) => w.eventLoopDelayMs.max),
    },
    utilization: worst((w) => w.utilization),
    scheduleLagMs: { p99: worst((w) => w.scheduleLagMs.p99) },
    saturated: workers.some((w) => w.saturated),
    reasons,
    ...(lagCause === undefined ? {} : { lagCause }),
    ...(lagEvidence === undefined ? {} : { lagEvidence }),
  };
}

/** The fields of a scenario's actor group that `capInput` reads; every group type has them or not. */
export interface CappedGroupSpec {
  readonly name: string;
  readonly maxInFlight?: number;
  /** Intended sends per second of each instance. */
  readonly rate?: number;
  readonly startRate?: number;
  readonly stages?: readonly { readonly target: number }[];
}

/** A group's measured figures that `capInput` reads (`GroupTotals`, `requests` of a result). */
export interface CappedGroupTotals {
  readonly sent: number;
  readonly dropped: number;
  readonly serviceTimeMs: { readonly mean: number; readonly p99: number };
}

/** One actor group's cap, what it was asked to send, and how long its requests held a slot. */
export interface CapInput extends CappedGroupTotals {
  readonly group: string;
  readonly maxInFlight: number;
  /** Intended sends per second of one instance, the peak of a ramp; absent: not rate-driven. */
  readonly ratePerSecond?: number;
}

const capJudgementShape = {
  /** Some group dropped sends because its `maxInFlight` requests were in flight. */
  capped: z.boolean(),
  /** One sentence per such group; empty when not capped. */
  cappedReasons: z.array(z.string()),
};

/** Whether every actor group offered its intended load. */
export type CapJudgement = z.infer<z.ZodObject<typeof capJudgementShape>>;

/** The `generator` section of a result. */
export const generatorSectionSchema = z.object({
  ...generatorHealthShape,
  // The cap judgement (whether every actor group offered its intended load) is absent from
  // results written before it was added, which counted drops as saturation.
  capped: capJudgementShape.capped.optional(),
  cappedReasons: capJudgementShape.cappedReasons.optional(),
  /** Requests still in flight when the drain after the deadline ended. */
  abandonedRequests: z.number(),
  // The harness's own cost (process-cost.ts): absent from results written before it was added.
  /**
   * CPU-seconds the harness used over the measured window: every thread of its process, and of
   * every agent's in a distributed run.
   */
  harnessCpuSeconds: z.number().optional(),
  /** The same over the whole run, set-up, fixtures and drain included. */
  harnessRunCpuSeconds: z.number().optional(),
  /** The largest resident memory of the harness's process (added up over agents), bytes. */
  harnessPeakRssBytes: z.number().optional(),
  /** `harnessCpuSeconds` ÷ `server.cpuSeconds`; absent where the server's CPU is not known. */
  harnessServerCpuRatio: z.number().optional(),
  /** The worker threads' CPU and run delay over the measured window (Linux). */
  workerCpu: workerCpuSchema.optional(),
  /** The worst event-loop block of any thread, and the phase of the run it came in. */
  worstStall: worstStallSchema.optional(),
});
export type GeneratorSection = z.infer<typeof generatorSectionSchema>;

/** The cap judgement's input for one group; undefined when it has no cap or no figures. */
export function capInput(
  spec: CappedGroupSpec,
  totals: CappedGroupTotals | undefined,
): CapInput | undefined {
  if (spec.maxInFlight === undefined || totals === undefined) return undefined;
  const { sent, dropped, serviceTimeMs } = totals;
  const peak =
    spec.rate ?? Math.max(spec.startRate ?? 0, ...(spec.stages ?? []).map((s) => s.target));
  return {
    group: spec.name,
    maxInFlight: spec.maxInFlight,
    ...(peak > 0 ? { ratePerSecond: peak } : {}),
    sent,
    dropped,
    serviceTimeMs: { mean: serviceTimeMs.mean, p99: serviceTimeMs.p99 },
  };
}

/**
 * Pure. A group that dropped sends did not offer its intended load. Why, as far as the figures
 * tell: an instance's cap allows maxInFlight ÷ rate per response on average (Little's law); a
 * mean service time beyond that is the server answering slower than the cap allows. Below it,
 * slow spells or sends due close together filled the cap. When the generator was saturated its
 * own delay (reading responses late) may be part of either, and the reason says so.
 */
export function judgeCaps(groups: readonly CapInput[], generatorSaturated: boolean): CapJudgement {
  const cappedReasons = groups
    .filter((g) => g.dropped > 0)
    .map((g) => capReason(g, generatorSaturated));
  return { capped: cappedReasons.length > 0, cappedReasons };
}

/** The run's judgements (the `generator` section of a result): its workers' health, then caps. */
export function judgeRun(
  workers: readonly GeneratorHealth[],
  groups: readonly CapInput[],
): GeneratorHealth & CapJudgement {
  const health = combineWorkerHealth(workers);
  return { ...health, ...judgeCaps(groups, health.saturated) };
}

function capReason(g: CapInput, generatorSaturated: boolean): string {
  const allowedMs =
    g.ratePerSecond === undefined ? undefined : (g.maxInFlight / g.ratePerSecond) * 1000;
  const figures = [
    ...(allowedMs === undefined
      ? []
      : [`${g.maxInFlight} ÷ ${g.ratePerSecond}/s = ${formatMs(allowedMs)} allowed per response`]),
    `service time mean ${formatMs(g.serviceTimeMs.mean)}, p99 ${formatMs(g.serviceTimeMs.p99)}`,
  ].join('; ');
  const slow = allowedMs !== undefined && g.serviceTimeMs.mean >= allowedMs;
  const why = generatorSaturated
    ? slow
      ? 'responses were slower than the cap allows, but the generator was saturated too: its own delay in reading them may be part of that'
      : 'the generator was saturated too, so its own delay may have held the slots'
    : slow
      ? 'the server answered slower than the cap allows, not the generator; a larger maxInFlight offers the intended load'
      : 'slow spells of the server or sends due close together filled the cap; a larger maxInFlight offers the intended load';
  return `${g.group}: ${g.dropped} of ${g.sent + g.dropped} due sends dropped at maxInFlight ${g.maxInFlight} (${figures}): ${why}`;
}
