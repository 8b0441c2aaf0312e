/** Options that `run` and `compare` share, declared once, and what they turn into. */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import {
  parseMetricsAddress,
  serveLiveMetrics,
  type MetricsEndpoint,
} from '../engine/live-metrics.js';
import type { TargetOptions } from '../engine/target.js';
import { ApfbenchError } from '../errors.js';
import { writeReport, type ReportModel } from '../report/index.js';
import { checkServerFlag } from '../profile/index.js';
import type { Overrides } from '../scenario/index.js';
import type { Scenario } from '../actors/scenario.js';
import { parseDuration } from '../validation/units.js';

export const scenarioOverrideOptions = {
  duration: {
    type: 'string',
    describe: 'override spec.duration, e.g. 10s',
    coerce: durationFlag('duration'),
  },
  set: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'override a field: path=value, e.g. spec.actors[0].rate=50/s',
  },
} as const;

/** The scenario file argument and its overrides, first in `run` and `compare`. */
export function scenarioArguments(y: Argv) {
  return y
    .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
    .options(scenarioOverrideOptions);
}

/** The parsed `scenarioOverrideOptions`, as `loadScenarioFile` takes them. */
export function scenarioOverridesOf(argv: {
  readonly duration: string | undefined;
  readonly set: readonly string[];
}): Overrides {
  return { ...(argv.duration === undefined ? {} : { duration: argv.duration }), set: argv.set };
}

/**
 * The most worker threads a run may have: 4 per CPU (os.availableParallelism()). Each thread has
 * a heap of its own, and past a few per CPU they only contend for it.
 */
export function maxWorkers(cores = availableParallelism()): number {
  return cores * 4;
}

/** The most runs per profile of `compare --repeat`. */
export const MAX_REPEAT = 1000;

/**
 * Refuses, before anything starts, a scenario's `spec.workers` over maxWorkers() when no
 * --workers replaces it: the bound depends on the machine, so the schema cannot check it.
 */
export function assertScenarioWorkers(
  scenario: Scenario,
  file: string,
  workersFlag: number | undefined,
): void {
  const { workers } = scenario.spec;
  if (workersFlag !== undefined || workers === undefined || workers <= maxWorkers()) return;
  throw new ApfbenchError(
    'APFBENCH_TOO_MANY_WORKERS',
    `${file} spec.workers: must be at most ${maxWorkers()} on this machine, 4 per CPU (got ${workers})`,
    {
      kind: 'invalid-input',
      hint: `pass --workers ${maxWorkers()} or fewer, or lower spec.workers`,
    },
  );
}

/** Where the load goes, how it is generated and where its files are written. */
export const targetOptions = {
  kubeconfig: {
    type: 'string',
    describe:
      'cluster to load; default: an ephemeral local control plane (compare: one per set of API-server flags)',
  },
  context: { type: 'string', describe: 'kubeconfig context' },
  identities: {
    type: 'string',
    describe: 'identities file with per-user tokens (default: next to the kubeconfig)',
  },
  'allow-remote': {
    type: 'boolean',
    default: false,
    describe: 'allow load on a target that is not loopback',
  },
  workers: {
    type: 'number',
    describe: `worker threads, at most 4 per CPU (${maxWorkers()} here) (default: scenario, else half the CPUs, at most 4)`,
    coerce: positiveInteger('workers', maxWorkers()),
  },
  quiet: { type: 'boolean', default: false, describe: 'no progress output' },
  'metrics-addr': {
    type: 'string',
    describe:
      "serve the run's live figures for Prometheus on HOST:PORT/metrics (loopback unless --allow-remote; port 0: any free one)",
  },
  'apiserver-bin': {
    type: 'string',
    describe: 'kube-apiserver binary for the local control plane',
  },
  'etcd-bin': { type: 'string', describe: 'etcd binary for the local control plane' },
  'apiserver-arg': {
    type: 'string',
    array: true,
    default: [] as string[],
    describe:
      "kube-apiserver flag key=value for the local control plane (repeatable); a profile's flags win",
    coerce: (values: readonly string[]) => values.map(checkServerFlag),
  },
  out: {
    type: 'string',
    describe: 'output directory (default results/<timestamp>-<scenario>, compare: …-compare)',
  },
  report: {
    type: 'boolean',
    default: true,
    describe:
      'write report.html, summary.md and PNG charts into the output directory (--no-report skips)',
  },
} as const;

/** The parsed `targetOptions` (yargs adds the camel-case twins, unused here). */
export interface TargetArgs {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly identities: string | undefined;
  readonly 'allow-remote': boolean;
  readonly 'apiserver-bin': string | undefined;
  readonly 'etcd-bin': string | undefined;
  readonly 'apiserver-arg': readonly string[];
}

/** Refuses, before anything starts, a flag that the target the other flags choose would ignore. */
export function assertTargetArgs(argv: TargetArgs): void {
  if (argv.identities !== undefined && argv.kubeconfig === undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      '--identities needs --kubeconfig: the local control plane apfbench starts makes identities of its own',
      {
        kind: 'invalid-input',
        hint: 'leave out --identities, or add the --kubeconfig it belongs to',
      },
    );
  }
}

export function targetOptionsOf(
  argv: TargetArgs,
  onProgress: (line: string) => void,
  onBuildCount?: (done: number, total: number) => void,
): Omit<TargetOptions, 'apiserverArgs'> {
  return {
    ...(onBuildCount === undefined ? {} : { onBuildCount }),
    kubeconfig: argv.kubeconfig,
    context: argv.context,
    identitiesFile: argv.identities,
    allowRemote: argv['allow-remote'],
    apiserverBin: argv['apiserver-bin'],
    etcdBin: argv['etcd-bin'],
    serverArgs: argv['apiserver-arg'],
    onProgress,
  };
}

/**
 * `--metrics-addr`: checked and bound before anything starts, its address printed (also with
 * --quiet: port 0 picks one the user must learn). The caller closes it at the end.
 */
export async function openLiveMetrics(argv: {
  readonly 'metrics-addr'?: string | undefined;
  readonly 'allow-remote': boolean;
}): Promise<MetricsEndpoint | undefined> {
  const addr = argv['metrics-addr'];
  if (addr === undefined) return undefined;
  const endpoint = await serveLiveMetrics(parseMetricsAddress(addr, argv['allow-remote']));
  process.stderr.write(`live metrics: ${endpoint.url}\n`);
  return endpoint;
}

export function defaultOutDir(scenarioName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join('results', `${stamp}-${scenarioName}`);
}

/**
 * Writes the report of a run or comparison into `out` and prints its path. Where PNGs cannot be
 * drawn (no prebuilt @napi-rs/canvas for the platform) they are skipped with a one-line note; any
 * other failure to render is a warning, not a failed run: the result is already written and
 * `apfbench report` can render it again.
 */
export async function writeReportQuietly(
  model: ReportModel | (() => Promise<ReportModel>),
  out: string,
  input: string,
): Promise<void> {
  const html = join(out, 'report.html');
  try {
    const built = typeof model === 'function' ? await model() : model;
    try {
      await writeReport(built, out, { png: true });
    } catch (err) {
      if (!(err instanceof ApfbenchError && err.code === 'APFBENCH_PNG_UNAVAILABLE')) throw err;
      process.stderr.write(`note: PNG charts skipped: ${err.message}\n`);
    }
    process.stdout.write(`report: ${html}\n`);
  } catch (err) {
    process.stderr.write(
      `warning: the report was not written (${err instanceof Error ? err.message : String(err)}); try: apfbench report ${input}\n`,
    );
  }
}

/** Refuses anything but an integer in [min, max], naming the flag. */
function checkInteger(flag: string, value: number, min: number, max: number): void {
  if (Number.isInteger(value) && value >= min && value <= max) return;
  const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
  throw new ApfbenchError(
    'APFBENCH_BAD_FLAG',
    `--${flag} must be an integer ${range} (got ${value})`,
    { kind: 'invalid-input' },
  );
}

/** A yargs `coerce` for an integer flag with a default: an integer in [min, max]. */
export function integerFlag(flag: string, min: number, max = Infinity) {
  return (value: number): number => {
    checkInteger(flag, value, min, max);
    return value;
  };
}

/** A yargs `coerce` for a count flag: an integer >= 1 (and at most `max`), or not given. */
export function positiveInteger(flag: string, max = Infinity) {
  return <T extends number | undefined>(value: T): T => {
    if (value !== undefined) checkInteger(flag, value, 1, max);
    return value;
  };
}

/**
 * A yargs `coerce` for a duration flag: a positive duration such as 30s, or not given. Checked
 * as the arguments are read, before a scenario file is; its upper bound is the schema's.
 */
export function durationFlag(flag: string) {
  return <T extends string | undefined>(value: T): T => {
    if (value === undefined) return value;
    const parsed = parseDuration(value);
    if (parsed.ok && parsed.value > 0) return value;
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      `--${flag}: must be a positive duration like 30s (got ${value})`,
      { kind: 'invalid-input' },
    );
  };
}
