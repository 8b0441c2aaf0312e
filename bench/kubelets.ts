/**
 * What one simulated kubelet costs the harness: CPU per kubelet-minute and resident memory per
 * kubelet, at several fleet sizes, each row a fresh process running the real engine
 * (`bench/kubelets-runner.ts`: `runScenario` with worker threads) pinned to CPU 0. The server is
 * `bench/kubelet-responder.ts` pinned to CPU 1 (canned answers, held watches), so that it is
 * never the bottleneck; then the same 2,000 kubelets over per-actor HTTP/2 and over shared
 * HTTP/1.1; then one row against a real local control plane (also on CPU 1), with the harness's
 * CPU next to the API server's. It prints figures; it is not a test and exits 0 whatever they are.
 *
 * Usage: npm run bench:kubelets -- [--sizes 1000,5000,10000,20000] [--duration 30] [--warmup 12]
 *        [--transport-count 2000] [--real-count 2000] [--workers 1] [--profile DIR]
 *        (a count of 0 leaves its rows out)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalCluster, type LocalCluster } from '../src/cluster/index.js';
import { expandIdentity } from '../src/scenario/identity.js';
import type { KubeletsRunnerResult } from './kubelets-runner.js';
import { fmt, hasCommand, killCurrent, runBench, runPinned, table } from './pinned.js';
import { parseRunnerOutput } from './runner-protocol.js';

const HARNESS_CPU = 0;
const SERVER_CPU = 1;
/** A row gets this long beyond its warm-up and window (start-up, fixtures, drain, clean-up). */
const ROW_GRACE_MS = 240_000;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000,10000,20000' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '12' },
    'transport-count': { type: 'string', default: '2000' },
    'real-count': { type: 'string', default: '2000' },
    workers: { type: 'string', default: '1' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

interface Options {
  readonly sizes: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly transportCount: number;
  readonly realCount: number;
  readonly workers: number;
  readonly profileDir: string | undefined;
}

function options(): Options {
  const problems: string[] = [];
  const int = (flag: string, text: string, min: number): number => {
    const n = Number(text);
    if (!(Number.isInteger(n) && n >= min)) {
      problems.push(`--${flag} must be an integer >= ${min} (got ${text})`);
    }
    return n;
  };
  const opts: Options = {
    sizes: values.sizes.split(',').map((s) => int('sizes', s.trim(), 1)),
    durationS: int('duration', values.duration, 1),
    warmupS: int('warmup', values.warmup, 1),
    transportCount: int('transport-count', values['transport-count'], 0),
    realCount: int('real-count', values['real-count'], 0),
    workers: int('workers', values.workers, 1),
    profileDir: values.profile,
  };
  if (problems.length > 0) {
    process.stderr.write(`bench/kubelets.ts: invalid arguments\n  ${problems.join('\n  ')}\n`);
    process.exit(2);
  }
  return opts;
}

interface Row extends KubeletsRunnerResult {
  readonly processCpuMs: number | undefined;
}

interface Failed {
  readonly label: string;
  readonly failure: string;
}

interface Responder {
  readonly http1: string;
  readonly h2: string;
  stop(): Promise<void>;
}

let responder: ChildProcess | undefined;
let cluster: LocalCluster | undefined;

/** The responder on SERVER_CPU (this process's own affinity, which it inherits). */
async function startResponder(): Promise<Responder> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'kubelet-responder.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  responder = child;
  const ready = await new Promise<string | undefined>((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', () => resolve(undefined));
  });
  if (ready === undefined) throw new Error('the responder did not start');
  const [, http1 = '', h2 = ''] = ready.split(' ');
  return {
    http1,
    h2,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      responder = undefined;
    },
  };
}

async function runRow(
  opts: Options,
  label: string,
  args: readonly string[],
): Promise<Row | Failed> {
  const nodeArgs = ['--import', 'tsx'];
  if (opts.profileDir !== undefined)
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  const argv = [
    process.execPath,
    ...nodeArgs,
    join(import.meta.dirname, 'kubelets-runner.ts'),
    '--duration',
    String(opts.durationS),
    '--warmup',
    String(opts.warmupS),
    '--workers',
    String(opts.workers),
    ...args,
  ];
  process.stdout.write(`  ${label} ...`);
  const out = await runPinned(
    HARNESS_CPU,
    argv,
    (opts.durationS + opts.warmupS) * 1000 + ROW_GRACE_MS,
  );
  const result = parseRunnerOutput<KubeletsRunnerResult>(out.stdout);
  if (result === undefined || out.code !== 0) {
    const failure = `exit ${out.code}: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    process.stdout.write(` failed: ${failure}\n`);
    return { label, failure };
  }
  const row = { ...result, processCpuMs: out.processCpuMs };
  process.stdout.write(
    ` ${fmt(coreShare(row), 3)} core, ${fmt(row.rssBytes / 2 ** 20)} MB, worst stall ${fmt(Math.max(row.mainStallMs, row.workerStallMs))} ms\n`,
  );
  return row;
}

/** Cores the harness used over the window. */
const coreShare = (r: Row) => r.cpuMs / r.windowMs;
/** CPU-ms per simulated kubelet-minute. */
const perKubeletMinute = (r: Row) => r.cpuMs / (r.count * (r.windowMs / 60_000));

function rowsTable(rows: readonly (Row | Failed)[]): string {
  const body = rows.map((r) =>
    'failure' in r
      ? [
          r.label.split(' ')[0] ?? '',
          r.label.split(', ')[1] ?? '',
          `failed: ${r.failure.slice(0, 60)}`,
        ]
      : [
          fmt(r.count),
          r.transport,
          r.server,
          fmt(r.cpuMs / 1000, 2),
          fmt(coreShare(r), 3),
          fmt(perKubeletMinute(r), 3),
          fmt(r.rssBytes / 2 ** 20),
          fmt(r.rssBytes / 1024 / r.count, 1),
          fmt(r.maxRssBytes / 2 ** 20),
          r.serverCpuMs === undefined ? '-' : fmt(r.serverCpuMs / 1000, 2),
          r.serverCpuMs === undefined ? '-' : `${fmt((100 * r.cpuMs) / r.serverCpuMs)} %`,
          `${fmt(r.mainStallMs)} (${r.mainStallPhase})`,
          `${fmt(r.workerStallMs)} (${r.workerStallPhase})`,
          fmt(r.scheduleLagP99Ms, 1),
          fmt(r.renewals),
          fmt(r.late),
          fmt(r.missed),
          fmt(r.errors),
          r.processCpuMs === undefined ? '-' : fmt(r.processCpuMs / 1000, 1),
        ],
  );
  return table(
    [
      'kubelets',
      'transport',
      'server',
      'CPU-s',
      'cores',
      'CPU-ms/kubelet-min',
      'RSS MB',
      'KB/kubelet',
      'max RSS MB',
      'server CPU-s',
      'harness/server',
      'main stall ms (phase)',
      'worker stall ms (phase)',
      'lag p99 ms',
      'renewals',
      'late',
      'missed',
      'errors',
      'proc CPU-s',
    ],
    body,
    new Set([0, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 18]),
  );
}

/** Pins this process (every thread) to `cpu`: what it spawns from now on inherits it. */
function pinSelf(cpu: number): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(
      'npm run bench:kubelets -- [--sizes 1000,5000,10000,20000] [--duration 30] [--warmup 12] [--transport-count 2000] [--real-count 2000] [--workers 1] [--profile DIR]\n',
    );
    return;
  }
  const opts = options();
  if (!(await hasCommand('taskset'))) {
    process.stderr.write('bench/kubelets.ts: taskset not found; apt-get install -y util-linux\n');
    process.exitCode = 1;
    return;
  }
  pinSelf(SERVER_CPU);
  process.stdout.write(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}\n` +
      `harness (the engine, ${opts.workers} worker thread(s)) on CPU ${HARNESS_CPU}, server on CPU ${SERVER_CPU}; ` +
      `each row: a fresh process, ${opts.warmupS}s warm-up then ${opts.durationS}s measured\n` +
      'kubelets: lease every 10 s (40 s), status computed every 10 s and reported every 5 m, one pod watch each\n\n',
  );

  const rows: (Row | Failed)[] = [];
  const server = await startResponder();
  try {
    for (const n of opts.sizes) {
      rows.push(
        await runRow(opts, `${n} kubelets, http1 shared, responder`, [
          '--url',
          server.http1,
          '--count',
          String(n),
        ]),
      );
    }
    if (opts.transportCount > 0) {
      const n = String(opts.transportCount);
      rows.push(
        await runRow(opts, `${n} kubelets, h2 per-actor, responder`, [
          '--url',
          server.h2,
          '--admin-url',
          server.http1,
          '--count',
          n,
          '--protocol',
          'h2',
          '--connection',
          'per-actor',
        ]),
      );
      rows.push(
        await runRow(opts, `${n} kubelets, http1 shared, responder`, [
          '--url',
          server.http1,
          '--count',
          n,
        ]),
      );
    }
  } finally {
    await server.stop();
  }

  if (opts.realCount > 0) {
    process.stdout.write(`  starting a local control plane on CPU ${SERVER_CPU} ...\n`);
    const users = Array.from({ length: opts.realCount }, (_, i) =>
      expandIdentity('system:node:node-{i}', i),
    );
    cluster = await startLocalCluster({
      identities: { nodes: 0, tenants: 0, serviceAccounts: 0 },
      extraTenants: users,
    });
    try {
      rows.push(
        await runRow(opts, `${opts.realCount} kubelets, http1 shared, kube-apiserver`, [
          '--kubeconfig',
          cluster.kubeconfigPath,
          '--count',
          String(opts.realCount),
        ]),
      );
    } finally {
      await cluster.stop();
      cluster = undefined;
    }
  }

  process.stdout.write(`\nPer-kubelet cost of the harness\n${rowsTable(rows)}\n`);
  process.stdout.write(
    '  CPU-s: user+sys of the harness process (all threads) over the measured window; cores: CPU-s per second.\n' +
      '  RSS: resident set at the end of the window; max RSS: the most it was over the whole run.\n' +
      "  server CPU-s: the server's process_cpu_seconds_total over the same window (the responder's own, or kube-apiserver's).\n" +
      '  main stall: the longest event-loop block of the main thread (coordinator) and the phase it fell in;\n' +
      "  worker stall: the workers' longest event-loop block in any interval, and the phase that interval ended in.\n" +
      "  errors: answers other than 2xx, leaving out 404 (a Lease's first GET, by design).\n" +
      '  proc CPU-s: the whole process from the kernel, start-up, registration and drain included.\n',
  );
  if (opts.profileDir !== undefined)
    process.stdout.write(`\nCPU profiles of the harness: ${opts.profileDir}\n`);
}

async function shutdown(): Promise<void> {
  killCurrent();
  responder?.kill('SIGTERM');
  const c = cluster;
  cluster = undefined;
  await c?.stop();
}

runBench('bench/kubelets.ts', main, shutdown, 'the harness, the responder and the control plane');
