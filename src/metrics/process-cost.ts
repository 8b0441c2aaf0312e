/**
 * What a process cost over a span of time, from readings taken now and then: a cumulative CPU
 * counter and a resident-memory gauge. The API server's come from its `/metrics`
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, read at every scrape), the
 * harness's from `process.cpuUsage()` and `process.memoryUsage.rss()`. Pure: the readings are
 * arguments.
 */
import { z } from 'zod';
import { formatMs, round3 } from './format.js';
import { increase } from './server-metrics.js';
import type { WorstStall } from './stalls.js';

/** One reading of a process; a figure the reader did not get is absent. */
export interface ProcessReading {
  /** Wall-clock time of the reading, ms since the epoch. */
  readonly t: number;
  /** CPU the process has used since it began, seconds (user + system, all threads). */
  readonly cpuSeconds?: number | undefined;
  /** Resident memory at `t`, bytes. */
  readonly rssBytes?: number | undefined;
}

/** A span of wall-clock time, ms since the epoch. */
export interface Span {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * CPU-seconds used within `span`, from the readings that have a CPU figure (in time order). The
 * counter is taken to grow evenly between two readings, so a span that ends between two of them
 * gets the share of their increase that falls inside it. A counter that went down was reset (the
 * process restarted) and counts from 0 again (`increase`). Undefined when the readings do not
 * reach from the span's start to its end: what happened outside them is not known.
 */
export function cpuSecondsWithin(
  readings: readonly ProcessReading[],
  span: Span,
): number | undefined {
  const points = readings.flatMap((r) =>
    r.cpuSeconds === undefined ? [] : [{ t: r.t, v: r.cpuSeconds }],
  );
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return undefined;
  if (first.t > span.fromMs || last.t < span.toMs) return undefined;
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const overlap = Math.min(b.t, span.toMs) - Math.max(a.t, span.fromMs);
    if (overlap <= 0) continue;
    const share = b.t > a.t ? overlap / (b.t - a.t) : 1;
    sum += increase(a.v, b.v) * share;
  }
  return round3(sum);
}

/**
 * The largest resident memory the readings saw over `span`: those inside it, and the last one
 * before it and the first one after it, since memory held at either edge was held within it.
 * Undefined when no reading has a memory figure there.
 */
export function peakRssWithin(readings: readonly ProcessReading[], span: Span): number | undefined {
  const withRss = readings.filter((r) => r.rssBytes !== undefined);
  let before = -1;
  let after = withRss.length;
  for (let i = 0; i < withRss.length; i++) {
    if (withRss[i]!.t <= span.fromMs) before = i;
    if (withRss[i]!.t >= span.toMs) {
      after = i;
      break;
    }
  }
  let peak: number | undefined;
  for (let i = Math.max(0, before); i <= Math.min(after, withRss.length - 1); i++) {
    peak = Math.max(peak ?? 0, withRss[i]!.rssBytes!);
  }
  return peak;
}

/** A span from a result's `measuredFrom` and `measuredTo`; undefined when either is missing. */
export function spanOf(r: {
  readonly measuredFrom?: string | undefined;
  readonly measuredTo?: string | undefined;
}): Span | undefined {
  if (r.measuredFrom === undefined || r.measuredTo === undefined) return undefined;
  return { fromMs: Date.parse(r.measuredFrom), toMs: Date.parse(r.measuredTo) };
}

/** What one harness process (the coordinator, or an agent) cost over a run. */
export const processCostSchema = z.object({
  /** CPU-seconds over the measured window; absent when the readings do not cover it. */
  measuredCpuSeconds: z.number().optional(),
  /** CPU-seconds from the run's first reading to its last. */
  runCpuSeconds: z.number(),
  /** The largest resident memory the readings saw, bytes. */
  peakRssBytes: z.number(),
});
export type ProcessCost = z.infer<typeof processCostSchema>;

/**
 * Pure. One process's cost from its readings over a run (the first taken when the run began, the
 * last when it ended): undefined without at least two readings with figures.
 */
export function processCostOf(
  readings: readonly ProcessReading[],
  window: Span | undefined,
): ProcessCost | undefined {
  const cpu = readings.filter((r) => r.cpuSeconds !== undefined);
  const first = cpu[0];
  const last = cpu[cpu.length - 1];
  if (first === undefined || last === undefined || cpu.length < 2) return undefined;
  const measured = window === undefined ? undefined : cpuSecondsWithin(readings, window);
  return {
    ...(measured === undefined ? {} : { measuredCpuSeconds: measured }),
    runCpuSeconds: round3(cpuSecondsWithin(readings, { fromMs: first.t, toMs: last.t }) ?? 0),
    peakRssBytes: Math.max(0, ...readings.map((r) => r.rssBytes ?? 0)),
  };
}

/**
 * Pure. Several processes' costs added up: the harness is every process of it (the coordinator
 * and its agents). The measured CPU is absent when any process lacks it; peak memory adds each
 * process's peak, an upper bound of what they held at once.
 */
export function sumProcessCosts(costs: readonly ProcessCost[]): ProcessCost | undefined {
  if (costs.length === 0) return undefined;
  const measured = costs.every((c) => c.measuredCpuSeconds !== undefined)
    ? round3(costs.reduce((n, c) => n + (c.measuredCpuSeconds ?? 0), 0))
    : undefined;
  return {
    ...(measured === undefined ? {} : { measuredCpuSeconds: measured }),
    runCpuSeconds: round3(costs.reduce((n, c) => n + c.runCpuSeconds, 0)),
    peakRssBytes: costs.reduce((n, c) => n + c.peakRssBytes, 0),
  };
}

/** CPU of the worker threads over the measured window (Linux's schedstat, thread-cpu.ts). */
export const workerCpuSchema = z.object({
  /** Time they ran on a CPU, ms, summed over the workers. */
  runMs: z.number(),
  /** Time they were runnable but got no CPU, ms: the CPU other work on the host had. */
  runDelayMs: z.number(),
});
export type WorkerCpu = z.infer<typeof workerCpuSchema>;

/**
 * When a harness is judged too costly or its host too busy for clean figures. `serverShare`: on a
 * host shared with the API server, the harness took more than this share of the server's CPU,
 * which the server then did not get. `runDelayShare` and `runDelayMinMs`: the worker threads
 * waited for a CPU at least this share of the time they ran, and at least this long (a few ms of
 * waiting on an idle run say nothing).
 */
export const HARNESS_COST_LIMITS = {
  serverShare: 0.25,
  runDelayShare: 0.25,
  runDelayMinMs: 100,
} as const;

/** Pure. The worker threads waited for a CPU long enough to call the host contended. */
export function hostContended(cpu: WorkerCpu | undefined): boolean {
  if (cpu === undefined) return false;
  return (
    cpu.runDelayMs >= HARNESS_COST_LIMITS.runDelayMinMs &&
    cpu.runDelayMs >= HARNESS_COST_LIMITS.runDelayShare * cpu.runMs
  );
}

/** Pure. Harness CPU ÷ server CPU over the same window; undefined unless both are known and the server's is > 0. */
export function serverCpuRatio(
  harnessCpuSeconds: number | undefined,
  serverCpuSeconds: number | undefined,
): number | undefined {
  if (harnessCpuSeconds === undefined || serverCpuSeconds === undefined) return undefined;
  if (!(serverCpuSeconds > 0)) return undefined;
  return round3(harnessCpuSeconds / serverCpuSeconds);
}

/** An event-loop block at least this long is worth a warning (issue 17's target: none over it). */
export const STALL_WARN_MS = 100;

/** What `judgeHarnessCost` reads: a result's generator section and the server's CPU. */
export interface HarnessCostInput {
  readonly harnessCpuSeconds?: number | undefined;
  readonly harnessServerCpuRatio?: number | undefined;
  readonly serverCpuSeconds?: number | undefined;
  readonly workerCpu?: WorkerCpu | undefined;
  readonly worstStall?: WorstStall | undefined;
  /** The harness ran on the API server's machine (a local control plane, no agents). */
  readonly sharedHost: boolean;
}

/** The harness's cost in one sentence, and whether it calls for a warning. */
export interface HarnessCostJudgement {
  /** On a shared host, the harness took more than `serverShare` of the server's CPU. */
  readonly costly: boolean;
  /** The worker threads waited long for a CPU: the machine was busy (`hostContended`). */
  readonly contended: boolean;
  /** The worst event-loop block reached `STALL_WARN_MS`. */
  readonly stalled: boolean;
  readonly text: string;
}

/**
 * Pure. "the harness used 12 % of the API server's CPU (…)", then what is wrong with that, if
 * anything: too costly on a shared host, a contended host (the generator did not get the CPU it
 * was ready to use: a busy machine, not a slow generator), a long event-loop block. Undefined for
 * a result without the harness's figures (written before they were added).
 */
export function judgeHarnessCost(input: HarnessCostInput): HarnessCostJudgement | undefined {
  const { harnessCpuSeconds: cpu, harnessServerCpuRatio: ratio, workerCpu, worstStall } = input;
  if (cpu === undefined) return undefined;
  const costly = input.sharedHost && ratio !== undefined && ratio > HARNESS_COST_LIMITS.serverShare;
  const contended = hostContended(workerCpu);
  const stalled = worstStall !== undefined && worstStall.ms >= STALL_WARN_MS;
  const parts = [
    ratio === undefined || input.serverCpuSeconds === undefined
      ? `the harness used ${round3(cpu)} CPU-s over the measured window (the API server's CPU is not known)`
      : `the harness used ${Math.round(ratio * 100)} % of the API server's CPU (${round3(cpu)} CPU-s against ${round3(input.serverCpuSeconds)} over the measured window)`,
  ];
  if (costly) {
    parts.push(
      `more than ${HARNESS_COST_LIMITS.serverShare * 100} % on a host shared with the server, which had that much less CPU than it would alone`,
    );
  }
  if (contended && workerCpu !== undefined) {
    parts.push(
      `the host was contended: the worker threads waited ${formatMs(workerCpu.runDelayMs)} for a CPU while they ran ${formatMs(workerCpu.runMs)}, so late sends are the busy machine's, not the generator's own`,
    );
  }
  if (stalled && worstStall !== undefined) {
    parts.push(
      `the event loop of ${worstStall.worker === undefined ? 'the coordinator' : `worker ${worstStall.worker}`} was blocked ${formatMs(worstStall.ms)} in ${worstStall.phase}`,
    );
  }
  return { costly, contended, stalled, text: parts.join('; ') };
}
