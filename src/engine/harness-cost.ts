// What the harness itself cost: its process's CPU (every thread: process.cpuUsage() is the
// whole process's, worker threads included) and resident memory, read every second, over the
// measured window and the whole run; set against the API server's CPU over the same window; the
// worker threads' wait for a CPU; and the worst event-loop block of any thread. The maths is in
// metrics/process-cost.ts and metrics/stalls.ts.
import {
  processCostOf,
  serverCpuRatio,
  spanOf,
  sumProcessCosts,
  type ProcessCost,
  type ProcessReading,
  type Span,
  type WorkerCpu,
} from '../metrics/process-cost.js';
import {
  StallWatchdog,
  phaseAt,
  worstOf,
  type StallPhase,
  type WorstStall,
} from '../metrics/stalls.js';
import { round3 } from '../metrics/format.js';
import type { RunResult } from '../result/result.js';
import type { Measurement } from './measurement.js';

/** How often the harness reads its own process. */
export const PROCESS_READING_MS = 1000;

/** This process now: its CPU since it began (all threads) and its resident memory. */
export function readProcess(): ProcessReading {
  const { user, system } = process.cpuUsage();
  return { t: Date.now(), cpuSeconds: (user + system) / 1e6, rssBytes: process.memoryUsage.rss() };
}

/** This process's readings from now on, every `PROCESS_READING_MS`, until `stop`. */
export class ProcessSampler {
  private readonly readings: ProcessReading[];
  private readonly timer: NodeJS.Timeout;

  /** `first`: a reading taken earlier, when the run began. */
  constructor(first: ProcessReading = readProcess()) {
    this.readings = [first, readProcess()];
    this.timer = setInterval(() => this.readings.push(readProcess()), PROCESS_READING_MS);
    this.timer.unref();
  }

  /** Takes a last reading and stops; the cost over the run and over `window`. */
  stop(window: Span | undefined): ProcessCost | undefined {
    clearInterval(this.timer);
    this.readings.push(readProcess());
    return processCostOf(this.readings, window);
  }
}

/** The harness measurement, with what the coordinator tells it of the run's course. */
export interface HarnessMeasurement extends Measurement<Partial<Pick<RunResult, 'generator'>>> {
  /** The coordinator is creating fixtures (true) or done with them (false). */
  fixtures(creating: boolean): void;
  /** The load started at `startEpochMs`. */
  started(startEpochMs: number): void;
  /** The sending ended early (a stop, Ctrl-C). */
  stopped(): void;
}

/**
 * The harness's cost, added to the `generator` section: after the server measurement, whose CPU
 * it divides by. `runStart` is a reading taken when the run began, before any set-up.
 */
export function harnessMeasurement(
  spec: { readonly warmup: number; readonly duration: number },
  runStart: ProcessReading,
): HarnessMeasurement {
  const sampler = new ProcessSampler(runStart);
  let creatingFixtures = false;
  let startEpoch: number | undefined;
  let stopped = false;
  const watchdog = new StallWatchdog((): StallPhase => {
    if (startEpoch === undefined) return creatingFixtures ? 'fixtures' : 'start-up';
    return phaseAt(Date.now() - startEpoch, spec, stopped);
  });
  const agents: ProcessCost[] = [];
  const stalls: WorstStall[] = [];
  const cpu: WorkerCpu[] = [];
  let cpuKnown = true;
  return {
    fixtures: (creating) => (creatingFixtures = creating),
    started: (epoch) => (startEpoch = epoch),
    stopped: () => (stopped = true),
    interval: (report) => {
      if (report.type !== 'done') return;
      if (report.agentProcess !== undefined) agents.push(report.agentProcess);
      if (report.worstStall !== undefined)
        stalls.push({ ...report.worstStall, worker: report.workerIndex });
      if (report.measuredCpu === undefined) cpuKnown = false;
      else cpu.push({ runMs: report.measuredCpu.runMs, runDelayMs: report.measuredCpu.waitMs });
    },
    finish: ({ result }) => {
      watchdog.stop();
      const own = sampler.stop(spanOf(result));
      const cost = sumProcessCosts([...(own === undefined ? [] : [own]), ...agents]);
      const ownStall = watchdog.worst();
      const worstStall = worstOf([...stalls, ownStall]);
      const ratio = serverCpuRatio(cost?.measuredCpuSeconds, result.server?.cpuSeconds);
      const workerCpu =
        cpuKnown && cpu.length > 0
          ? {
              runMs: round3(cpu.reduce((n, c) => n + c.runMs, 0)),
              runDelayMs: round3(cpu.reduce((n, c) => n + c.runDelayMs, 0)),
            }
          : undefined;
      if (result.generator === undefined) return Promise.resolve({});
      return Promise.resolve({
        generator: {
          ...result.generator,
          ...(cost?.measuredCpuSeconds === undefined
            ? {}
            : { harnessCpuSeconds: cost.measuredCpuSeconds }),
          ...(cost === undefined
            ? {}
            : { harnessRunCpuSeconds: cost.runCpuSeconds, harnessPeakRssBytes: cost.peakRssBytes }),
          ...(ratio === undefined ? {} : { harnessServerCpuRatio: ratio }),
          ...(workerCpu === undefined ? {} : { workerCpu }),
          ...(worstStall === undefined ? {} : { worstStall }),
        },
      });
    },
  };
}
