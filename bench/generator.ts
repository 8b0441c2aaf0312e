/**
 * The generator's own efficiency, side by side in one run: apfbench's engine path, autocannon and
 * wrk against the same nginx on 127.0.0.1 with the same number of connections. nginx is pinned to
 * CPU 1 and every generator to CPU 0, one generator at a time, each in its own process, so that
 * the CPU each one burns can be read apart. It prints figures; it is not a test and exits 0
 * whatever they are.
 *
 * Usage: npm run bench -- [--duration 10] [--connections 32] [--rates 2000,10000]
 *        [--max-rate 300000] [--timer-resolutions 1,2,5] [--repeat 1] [--warmup 1] [--profile DIR]
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx, type Nginx } from './nginx.js';
import {
  commandOutput,
  fmt,
  hasCommand,
  killCurrent,
  runBench,
  runPinned,
  table,
} from './pinned.js';
import { parseRunnerOutput, REQUEST_PATH, type RunnerResult } from './runner-protocol.js';

const GENERATOR_CPU = 0;
const SERVER_CPU = 1;
/** A runner gets this long beyond its warm-up and duration before it is killed. */
const RUNNER_GRACE_MS = 60_000;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    rates: { type: 'string', default: '2000,10000' },
    'max-rate': { type: 'string', default: '300000' },
    'timer-resolutions': { type: 'string', default: '1,2,5' },
    repeat: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

interface Options {
  readonly durationS: number;
  readonly connections: number;
  readonly rates: readonly number[];
  readonly maxRate: number;
  /** apfbench runs at each rate once per `spec.timerResolution` here, ms. */
  readonly timerResolutions: readonly number[];
  /** The whole sequence of runs this many times; the tables give medians. */
  readonly repeat: number;
  readonly warmupS: number;
  readonly profileDir: string | undefined;
}

function options(): Options {
  const problems: string[] = [];
  const num = (flag: string, text: string, integer = false): number => {
    const n = Number(text);
    if (!(Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n)))) {
      problems.push(`--${flag} must be ${integer ? 'an integer' : 'a number'} > 0 (got ${text})`);
    }
    return n;
  };
  const warmupS = Number(values.warmup);
  if (!(warmupS >= 0)) problems.push(`--warmup must be a number >= 0 (got ${values.warmup})`);
  const opts: Options = {
    durationS: num('duration', values.duration, true),
    connections: num('connections', values.connections, true),
    rates: values.rates.split(',').map((r) => num('rates', r.trim())),
    maxRate: num('max-rate', values['max-rate']),
    repeat: num('repeat', values.repeat, true),
    timerResolutions: values['timer-resolutions']
      .split(',')
      .map((r) => num('timer-resolutions', r.trim(), true)),
    warmupS,
    profileDir: values.profile,
  };
  if (problems.length > 0) {
    process.stderr.write(`bench/generator.ts: invalid arguments\n  ${problems.join('\n  ')}\n`);
    process.exit(2);
  }
  return opts;
}

/** One generator run, plus the CPU of its whole process (startup included) from the kernel. */
interface Measured extends RunnerResult {
  readonly processCpuMs: number | undefined;
  /** Which pass of `--repeat` this run belongs to (set by `record`). */
  repeat?: number;
  /** The run could not produce figures; why. */
  readonly failure?: string;
}

let nginx: Nginx | undefined;

async function runNode(
  opts: Options,
  runner: string,
  args: readonly string[],
  profile = false,
): Promise<Measured> {
  const nodeArgs = ['--import', 'tsx'];
  if (profile && opts.profileDir !== undefined)
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  const argv = [
    process.execPath,
    ...nodeArgs,
    join(import.meta.dirname, runner),
    '--duration',
    String(opts.durationS),
    '--connections',
    String(opts.connections),
    '--warmup',
    String(opts.warmupS),
    ...args,
  ];
  const out = await runPinned(
    GENERATOR_CPU,
    argv,
    (opts.durationS + opts.warmupS) * 1000 + RUNNER_GRACE_MS,
  );
  const result = parseRunnerOutput(out.stdout);
  if (result === undefined || out.code !== 0) {
    return failed(
      runner,
      args,
      `exit ${out.code}: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return { ...result, processCpuMs: out.processCpuMs };
}

function failed(generator: string, args: readonly string[], why: string): Measured {
  return {
    generator: generator.startsWith('apfbench')
      ? 'apfbench'
      : generator.startsWith('autocannon')
        ? 'autocannon'
        : 'wrk',
    mode: args.join(' '),
    requests: 0,
    errors: 0,
    cpuMs: NaN,
    cpuSystemMs: NaN,
    wallMs: NaN,
    processCpuMs: undefined,
    failure: why,
  };
}

/** wrk, one thread, closed loop at full speed; its CPU from the kernel. */
async function runWrk(opts: Options, url: string): Promise<Measured> {
  const argv = [
    'wrk',
    '-t1',
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    '-H',
    'Accept: application/json',
    `${url}${REQUEST_PATH}`,
  ];
  const out = await runPinned(GENERATOR_CPU, argv, opts.durationS * 1000 + RUNNER_GRACE_MS);
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(out.stdout);
  if (out.code !== 0 || total === null || out.processCpuMs === undefined) {
    return failed(
      'wrk',
      ['max'],
      `exit ${out.code}: ${(out.stderr || out.stdout).trim().split('\n').slice(-2).join(' | ')}`,
    );
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out.stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out.stdout,
  );
  const errors =
    Number(non2xx?.[1] ?? 0) + (socketErrors?.slice(1).reduce((sum, n) => sum + Number(n), 0) ?? 0);
  const seconds = Number(total[2]) / (total[3] === 'ms' ? 1000 : 1);
  return {
    generator: 'wrk',
    mode: 'max',
    requests: Number(total[1]) - Number(non2xx?.[1] ?? 0),
    errors,
    // The whole process: wrk's start-up is a few ms.
    cpuMs: out.processCpuMs,
    cpuSystemMs: NaN,
    wallMs: seconds * 1000,
    processCpuMs: out.processCpuMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const reqPerCpuS = (r: Measured): number => (r.cpuMs > 0 ? r.requests / (r.cpuMs / 1000) : NaN);

/** `Measured` runs of one row (generator, timer step, mode), one per `--repeat` pass. */
function rowsOf(results: readonly Measured[]): Measured[][] {
  const rows = new Map<string, Measured[]>();
  for (const r of results) {
    const key = `${r.generator} ${r.timerResolutionMs ?? 1} ${r.mode}`;
    rows.set(key, [...(rows.get(key) ?? []), r]);
  }
  return [...rows.values()];
}

function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The run whose req/CPU-s is the median of its row (the lower middle one for an even count). */
function medianRun(runs: readonly Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => reqPerCpuS(a) - reqPerCpuS(b));
  return sorted[(sorted.length - 1) >> 1]!;
}

/** CPU µs of one wake-up, from the `wake-runner.ts` probe, per `--repeat` pass. */
const wakeCostUs = new Map<number | undefined, number>();

/** How long the wake-cost probe ticks, s. */
const WAKE_PROBE_S = 2;

async function probeWakeCost(opts: Options, pass: number): Promise<void> {
  const probe = await runNode(opts, 'wake-runner.ts', ['--duration', String(WAKE_PROBE_S)]);
  const cost = probe.wakes === undefined ? NaN : (probe.cpuMs * 1000) / probe.wakes;
  wakeCostUs.set(pass, cost);
  process.stdout.write(
    `  one wake-up (a bare 1 ms setInterval, ${WAKE_PROBE_S}s): ${fmt(cost, 1)} µs of CPU\n`,
  );
}

/** The share of a run's CPU that its wake-ups cost at the probe's price per wake-up. */
function wakeShare(r: Measured): number {
  const cost = wakeCostUs.get(r.repeat) ?? NaN;
  return r.wakes === undefined ? NaN : (r.wakes * cost) / 1000 / r.cpuMs;
}

function efficiencyTable(results: readonly Measured[]): string {
  // Each ratio compares runs of the same pass, made minutes apart, not runs of different passes.
  const autocannonFor = (mode: string, repeat: number | undefined) =>
    results.find(
      (r) =>
        r.generator === 'autocannon' &&
        r.mode === mode &&
        r.repeat === repeat &&
        r.failure === undefined,
    );
  const rows = rowsOf(results).map((runs) => {
    const r = medianRun(runs);
    const ratios = runs.map((run) => {
      const base = autocannonFor(run.mode, run.repeat);
      return base === undefined ? NaN : reqPerCpuS(run) / reqPerCpuS(base);
    });
    const ratio = median(ratios);
    const finite = ratios.filter(Number.isFinite);
    const spread =
      finite.length > 1 ? ` (${fmt(Math.min(...finite), 2)}–${fmt(Math.max(...finite), 2)})` : '';
    const label =
      r.generator === 'wrk'
        ? 'wrk (native ceiling)'
        : r.generator === 'undici'
          ? 'undici floor (diagnostic)'
          : apfbenchLabel(r);
    return [
      label,
      r.mode,
      fmt(r.requests),
      fmt(r.requests / (r.wallMs / 1000)),
      fmt(r.cpuMs / 1000, 2),
      fmt(r.cpuSystemMs / 1000, 2),
      fmt(reqPerCpuS(r)),
      Number.isFinite(ratio) ? `${fmt(ratio, 2)}x${spread}` : '-',
      r.wakes === undefined ? '-' : fmt(r.wakes / (r.wallMs / 1000)),
      Number.isFinite(wakeShare(r)) ? `${fmt(100 * wakeShare(r))} %` : '-',
      r.processCpuMs === undefined ? '-' : fmt(r.processCpuMs / 1000, 2),
      runs.map((x) => x.failure).find((f) => f !== undefined) ??
        (r.errors > 0 ? `${fmt(r.errors)} errors` : ''),
    ];
  });
  return table(
    [
      'generator',
      'mode',
      'requests',
      'req/s',
      'CPU-s',
      'sys-s',
      'req/CPU-s',
      'vs autocannon',
      'wakes/s',
      'CPU in wake-ups',
      'proc CPU-s',
      'note',
    ],
    rows,
    new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]),
  );
}

function apfbenchLabel(r: Measured): string {
  const res = r.timerResolutionMs ?? 1;
  return r.generator === 'apfbench' && res > 1 ? `apfbench (timers ${res}ms)` : r.generator;
}

function scheduleTable(results: readonly Measured[]): string {
  const rows = rowsOf(results).flatMap((runs) => {
    const r = medianRun(runs);
    const s = r.schedule;
    if (!r.generator.startsWith('apfbench') || s === undefined) return [];
    const keptUp = s.sent === s.scheduled && s.dropped === 0;
    const verdict = r.mode === 'max' ? 'overdriven on purpose' : keptUp ? 'yes' : 'no';
    return [
      [
        `${r.generator === 'apfbench h2' ? 'h2 ' : ''}${r.mode}${(r.timerResolutionMs ?? 1) > 1 ? ` @${r.timerResolutionMs}ms` : ''}`,
        fmt(s.scheduled),
        fmt(s.sent),
        fmt(s.dropped),
        fmt(r.requests + r.errors),
        fmt(s.lagMs.p50, 3),
        fmt(s.lagMs.p99, 3),
        fmt(s.lagMs.max, 3),
        fmt(s.latencyP99Ms, 3),
        fmt(s.eventLoopUtilization, 2),
        verdict,
        [
          ...(s.saturated ? [`saturated: ${s.reasons.join('; ')}`] : []),
          ...s.cappedReasons.map((r) => `capped: ${r}`),
        ].join('; '),
      ],
    ];
  });
  return table(
    [
      'apfbench',
      'scheduled',
      'sent',
      'dropped',
      'completed',
      'lag p50 ms',
      'lag p99 ms',
      'lag max ms',
      'latency p99 ms',
      'ELU',
      'kept up',
      'engine says',
    ],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * One pass: each rate for apfbench (at each timer step, and over h2), autocannon and the undici
 * floor, then max.
 */
async function runAll(
  opts: Options,
  url: string,
  h2Url: string,
  haveWrk: boolean,
  record: (r: Measured) => void,
  skipped: Set<string>,
): Promise<void> {
  for (const rate of opts.rates) {
    for (const res of opts.timerResolutions) {
      // Sends due within one step go out together: more than the connections would be dropped.
      const burst = Math.ceil((rate * res) / 1000);
      if (res > 1 && burst > opts.connections) {
        skipped.add(
          `apfbench at ${fmt(rate)}/s with ${res}ms timers: bursts of ${burst} sends exceed ${opts.connections} connections`,
        );
        continue;
      }
      record(
        await runNode(
          opts,
          'apfbench-runner.ts',
          ['--url', url, '--rate', String(rate), '--timer-resolution', String(res)],
          res === 1,
        ),
      );
    }
    const h2 = ['--url', h2Url, '--rate', String(rate), '--protocol', 'h2'];
    record(await runNode(opts, 'apfbench-runner.ts', h2));
    record(await runNode(opts, 'autocannon-runner.ts', ['--url', url, '--rate', String(rate)]));
    record(await runNode(opts, 'undici-runner.ts', ['--url', url, '--rate', String(rate)]));
  }
  record(
    await runNode(
      opts,
      'apfbench-runner.ts',
      ['--url', url, '--rate', String(opts.maxRate), '--mode', 'max'],
      true,
    ),
  );
  record(
    await runNode(opts, 'apfbench-runner.ts', [
      ...['--url', h2Url, '--rate', String(opts.maxRate), '--mode', 'max', '--protocol', 'h2'],
    ]),
  );
  record(await runNode(opts, 'autocannon-runner.ts', ['--url', url, '--mode', 'max']));
  record(await runNode(opts, 'undici-runner.ts', ['--url', url]));
  if (haveWrk) record(await runWrk(opts, url));
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(
      'npm run bench -- [--duration 10] [--connections 32] [--rates 2000,10000] [--max-rate 300000] [--timer-resolutions 1,2,5] [--repeat 1] [--warmup 1] [--profile DIR]\n',
    );
    return;
  }
  const opts = options();
  for (const cmd of ['taskset', 'nginx']) {
    if (!(await hasCommand(cmd))) {
      process.stderr.write(
        `bench/generator.ts: ${cmd} not found; apt-get install -y nginx-light wrk util-linux\n`,
      );
      process.exitCode = 1;
      return;
    }
  }
  const haveWrk = await hasCommand('wrk');
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const versions = {
    nginx: (await commandOutput('nginx', ['-v'])).replace('nginx version: ', ''),
    wrk: haveWrk
      ? ((await commandOutput('wrk', ['-v'])).split('\n')[0]?.split(' ')[1] ?? '?')
      : 'not installed',
    autocannon: (
      JSON.parse(
        await readFile(
          join(import.meta.dirname, '../node_modules/autocannon/package.json'),
          'utf8',
        ),
      ) as { version: string }
    ).version,
    undici: (
      JSON.parse(
        await readFile(join(import.meta.dirname, '../node_modules/undici/package.json'), 'utf8'),
      ) as { version: string }
    ).version,
  };

  nginx = await startNginx(SERVER_CPU);
  process.stdout.write(
    `machine: ${cpus().length} CPUs (${cpuModel}), node ${process.version}, nginx ${versions.nginx}, ` +
      `wrk ${versions.wrk}, autocannon ${versions.autocannon}, undici ${versions.undici}\n` +
      `server: nginx (1 worker) on CPU ${SERVER_CPU} at ${nginx.url}; generators on CPU ${GENERATOR_CPU}, one at a time\n` +
      `each run: ${opts.connections} connections, ${opts.durationS}s measured after ${opts.warmupS}s warm-up\n\n`,
  );

  const results: Measured[] = [];
  let pass = 0;
  const record = (r: Measured) => {
    results.push({ ...r, repeat: pass });
    const rate = reqPerCpuS(r);
    process.stdout.write(
      `  ${r.generator.padEnd(10)} ${`${r.mode}${(r.timerResolutionMs ?? 1) > 1 ? ` @${r.timerResolutionMs}ms` : ''}`.padEnd(18)} ${r.failure ?? `${fmt(r.requests)} requests, ${fmt(r.cpuMs / 1000, 2)} CPU-s, ${fmt(rate)} req/CPU-s`}\n`,
    );
  };
  const url = nginx.url;
  const skipped = new Set<string>();
  for (pass = 0; pass < opts.repeat; pass++) {
    if (opts.repeat > 1) process.stdout.write(`pass ${pass + 1}/${opts.repeat}\n`);
    await probeWakeCost(opts, pass);
    await runAll(opts, url, nginx.h2Url, haveWrk, record, skipped);
  }

  process.stdout.write(
    `\nRequests per generator CPU-second (${opts.connections} connections, ${opts.durationS}s each${opts.repeat > 1 ? `, median of ${opts.repeat} passes` : ''})\n`,
  );
  process.stdout.write(`${efficiencyTable(results)}\n`);
  process.stdout.write(
    '  CPU-s: user+sys of the whole generator process (all threads) over the measured window (wrk: whole process).\n' +
      '  wakes/s: voluntary context switches over the window (the process slept, a timer or a socket woke it).\n' +
      '  CPU in wake-ups: wakes × the CPU of one wake-up of a bare 1 ms setInterval (probed each pass), as a\n' +
      '  share of CPU-s: what sleeping between sends costs, whatever the generator does when awake.\n' +
      '  proc CPU-s: the same from the kernel for the whole process, start-up and warm-up included.\n' +
      `  apfbench "max" is open loop at ${fmt(opts.maxRate)}/s offered with maxInFlight ${opts.connections}; sends over the cap are dropped.\n` +
      '  autocannon "rate" (overallRate) is a per-second quota per connection, sent back to back at each second\n' +
      '  start, not paced; apfbench "rate" is paced open loop, one send per intended time.\n' +
      '  undici floor: plain undici Pool.dispatch (paced open loop in "rate", one timer per wake-up), nothing\n' +
      '  recorded: the floor of an engine built on undici (apfbench sends over its own HTTP/1.1 pool).\n' +
      '  wrk2 (paced, open loop) is not packaged in Debian: wrk, closed loop, is the native ceiling only.\n' +
      '  apfbench (timers Nms): spec.timerResolution N ms, sends due within one step share a wake-up;\n' +
      '  the step shows in schedule lag below, and in latency from the intended send time.\n' +
      [...skipped].map((s) => `  skipped: ${s}\n`).join('') +
      (opts.repeat > 1
        ? `  ${opts.repeat} passes: each row is the run with the median req/CPU-s; vs autocannon is the median of\n` +
          '  the ratios within each pass (min–max in brackets).\n'
        : ''),
  );
  process.stdout.write(
    `\napfbench open-loop schedule (one tenant, GET-only, ${opts.connections} in flight at most)\n`,
  );
  process.stdout.write(`${scheduleTable(results)}\n`);
  if (opts.profileDir !== undefined)
    process.stdout.write(`\nCPU profiles of the apfbench runs: ${opts.profileDir}\n`);
}

async function shutdown(): Promise<void> {
  killCurrent();
  const n = nginx;
  nginx = undefined;
  await n?.stop();
}

runBench('bench/generator.ts', main, shutdown, 'the generator and nginx');
