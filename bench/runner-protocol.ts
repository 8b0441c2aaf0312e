/**
 * What a generator runner (a child process of `bench/generator.ts`) reports: one JSON line on
 * stdout, prefixed with `RESULT_PREFIX`, after its load window. CPU is measured inside the child
 * with `process.cpuUsage()` around the load window only, so module loading and (for apfbench)
 * the tsx transpilation are not charged to the generator. Wake-ups (voluntary context switches:
 * the process slept and something woke it) are counted over the same window.
 */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** The path every generator requests; nginx answers any path the same way. */
export const REQUEST_PATH = '/api/v1/namespaces/apfbench/configmaps/apfbench-none';

export interface RunnerResult {
  readonly generator: 'apfbench' | 'apfbench h2' | 'autocannon' | 'wrk' | 'undici' | 'node timer';
  /** `rate N/s` (open loop or paced) or `max` (throughput ceiling). */
  readonly mode: string;
  /** Requests that completed with a 2xx response. */
  readonly requests: number;
  /** Completed requests with another status or a transport error. */
  readonly errors: number;
  /** User + system CPU of the whole generator process (all its threads) over the load window, ms. */
  readonly cpuMs: number;
  /** The system (kernel) part of `cpuMs`. */
  readonly cpuSystemMs: number;
  /**
   * Voluntary context switches of the whole process over the load window: how often it went to
   * sleep and was woken (by a timer or a readable socket). Node runners only.
   */
  readonly wakes?: number;
  /** Wall time of the load window, ms. */
  readonly wallMs: number;
  /** apfbench only: how the open-loop schedule was kept. */
  readonly schedule?: ScheduleReport;
  /** apfbench only: the scenario's `spec.timerResolution`, ms. */
  readonly timerResolutionMs?: number;
}

export interface ScheduleReport {
  /** Sends the schedule intended before the deadline. */
  readonly scheduled: number;
  readonly sent: number;
  /** Sends that found the in-flight cap reached. */
  readonly dropped: number;
  /** From the collector's scheduleLag histogram (actual − intended send time). */
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Latency from the intended send time. */
  readonly latencyP99Ms: number;
  readonly eventLoopUtilization: number;
  /** The engine's own judgement (generator-health.ts), with its reasons. */
  readonly saturated: boolean;
  readonly reasons: readonly string[];
  /** Why sends were dropped at the in-flight cap (the engine's cap judgement); empty: none. */
  readonly cappedReasons: readonly string[];
}

/** The options every runner takes (`parseArgs` form); a runner adds its own. */
export const RUNNER_OPTIONS = {
  url: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string', default: '10' },
  connections: { type: 'string', default: '32' },
  warmup: { type: 'string', default: '1' },
  mode: { type: 'string', default: 'rate' },
} as const;

/** Finds the result line in a runner's stdout (`T`: what that runner emits). */
export function parseRunnerOutput<T = RunnerResult>(stdout: string): T | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  return line === undefined ? undefined : (JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
}

export function emitResult(result: RunnerResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Where a load window started, for `windowSince`. */
export interface WindowStart {
  readonly cpu: NodeJS.CpuUsage;
  readonly wakes: number;
}

export function windowStart(): WindowStart {
  return { cpu: process.cpuUsage(), wakes: process.resourceUsage().voluntaryContextSwitches };
}

/** CPU since `start`, in ms (user + system, and system alone), and the wake-ups since. */
export function windowSince(start: WindowStart): {
  cpuMs: number;
  cpuSystemMs: number;
  wakes: number;
} {
  const d = process.cpuUsage(start.cpu);
  return {
    cpuMs: (d.user + d.system) / 1000,
    cpuSystemMs: d.system / 1000,
    wakes: process.resourceUsage().voluntaryContextSwitches - start.wakes,
  };
}

/** Runs `load` (the measured window) and returns its value with the window's figures. */
export async function measure<T>(
  load: () => Promise<T>,
): Promise<{ value: T; figures: ReturnType<typeof windowSince> & { wallMs: number } }> {
  const started = windowStart();
  const t0 = performance.now();
  const value = await load();
  const figures = { ...windowSince(started), wallMs: performance.now() - t0 };
  return { value, figures };
}
