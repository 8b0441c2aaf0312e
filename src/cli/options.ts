/** Options that `run` and `compare` share, declared once, and what they turn into. */
import { readFile } from 'node:fs/promises';
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
import { describeSelection, type ClusterSelection } from '../kube/index.js';
import { writeReport, type ReportModel } from '../report/index.js';
import { auditPolicyOf, checkServerFlag, type AuditPolicy } from '../profile/index.js';
import type { Overrides } from '../scenario/index.js';
import type { Scenario } from '../actors/scenario.js';
import { parseDuration } from '../validation/units.js';
import { InvalidFileError } from '../validation/problems.js';
import { locatePath } from '../validation/validate.js';

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
  namespace: {
    type: 'string',
    describe:
      "override spec.namespace, the load's namespace (a kubeconfig context's namespace is not used)",
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
  readonly namespace: string | undefined;
  readonly set: readonly string[];
}): Overrides {
  return {
    ...(argv.duration === undefined ? {} : { duration: argv.duration }),
    ...(argv.namespace === undefined ? {} : { namespace: argv.namespace }),
    set: argv.set,
  };
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

/**
 * Refuses a scenario with spec.faults on a cluster apfbench does not start (`--kubeconfig`,
 * `--in-cluster`), before anything starts, with the line of spec.faults in `file`.
 */
export async function assertFaultsOnLocal(
  scenario: Scenario,
  file: string,
  argv: Pick<TargetArgs, 'kubeconfig' | 'in-cluster'>,
): Promise<void> {
  const selected = clusterSelectionOf(argv);
  if (selected === undefined || (scenario.spec.faults ?? []).length === 0) return;
  const text = await readFile(file, 'utf8').catch(() => '');
  const problem = {
    ...locatePath(text, file, ['spec', 'faults']),
    message: `faults are done to the control plane apfbench starts, and ${describeTarget(selected)} is a cluster it did not start`,
  };
  throw new InvalidFileError(
    'APFBENCH_FAULTS_NEED_LOCAL',
    'scenario',
    [problem],
    'leave out --kubeconfig to run on a local control plane, or remove spec.faults',
  );
}

/** Where the load goes, how it is generated and where its files are written. */
/** `--audit-policy` of every command that may start a local control plane. */
export const auditPolicyOptions = {
  'audit-policy': {
    type: 'string',
    describe:
      'audit policy of the local control plane: None, Metadata, Request, RequestResponse or a policy file (default: no audit)',
    coerce: auditPolicyOf,
  },
} as const;

export const targetOptions = {
  kubeconfig: {
    type: 'string',
    describe:
      'cluster to load; with no value, the one kubectl uses ($KUBECONFIG, ~/.kube/config, in-cluster); default: an ephemeral local control plane (compare: one per set of API-server flags)',
  },
  context: { type: 'string', describe: 'kubeconfig context' },
  'in-cluster': {
    type: 'boolean',
    default: false,
    describe:
      "load the cluster apfbench runs in, as its pod's ServiceAccount (needs --allow-remote)",
  },
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
  ...auditPolicyOptions,
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
  readonly 'in-cluster': boolean;
  readonly identities: string | undefined;
  readonly 'allow-remote': boolean;
  readonly 'apiserver-bin': string | undefined;
  readonly 'etcd-bin': string | undefined;
  readonly 'apiserver-arg': readonly string[];
  readonly 'audit-policy'?: AuditPolicy | undefined;
}

/**
 * The cluster the flags point at, undefined for the local control plane apfbench starts:
 * `--kubeconfig FILE`, `--kubeconfig` with no value (yargs gives '': kubectl's own choice), or
 * `--in-cluster`.
 */
/** The flag that chose a cluster, as a user wrote it, for messages. */
function describeTarget(selected: ClusterSelection): string {
  return selected.kind === 'in-cluster'
    ? '--in-cluster'
    : `--kubeconfig (${describeSelection(selected)})`;
}

export function clusterSelectionOf(
  argv: Pick<TargetArgs, 'kubeconfig' | 'in-cluster'>,
): ClusterSelection | undefined {
  if (argv['in-cluster']) return { kind: 'in-cluster' };
  if (argv.kubeconfig === undefined) return undefined;
  return argv.kubeconfig === '' ? { kind: 'default' } : { kind: 'file', file: argv.kubeconfig };
}

/** Refuses --in-cluster with --kubeconfig: each names the cluster. */
export function assertOneCluster(argv: Pick<TargetArgs, 'kubeconfig' | 'in-cluster'>): void {
  if (argv['in-cluster'] && argv.kubeconfig !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      '--in-cluster and --kubeconfig each name the cluster to load: give one',
      { kind: 'invalid-input' },
    );
  }
}

/** Refuses, before anything starts, a flag that the target the other flags choose would ignore. */
export function assertTargetArgs(
  argv: Pick<TargetArgs, 'kubeconfig' | 'in-cluster' | 'context' | 'identities'>,
): void {
  assertOneCluster(argv);
  const selected = clusterSelectionOf(argv);
  if (argv.context !== undefined && (selected === undefined || selected.kind === 'in-cluster')) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      '--context picks a context of a kubeconfig: it needs --kubeconfig',
      {
        kind: 'invalid-input',
        hint: 'add --kubeconfig (with no value: the one kubectl uses), or leave out --context',
      },
    );
  }
  if (argv.identities !== undefined && selected === undefined) {
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
    cluster: clusterSelectionOf(argv),
    context: argv.context,
    identitiesFile: argv.identities,
    allowRemote: argv['allow-remote'],
    apiserverBin: argv['apiserver-bin'],
    etcdBin: argv['etcd-bin'],
    serverArgs: argv['apiserver-arg'],
    ...(argv['audit-policy'] === undefined ? {} : { auditPolicy: argv['audit-policy'] }),
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
