import { join } from 'node:path';
import type { Argv } from 'yargs';
import { compareProfiles, type Comparison } from '../engine/compare.js';
import { ApfbenchError } from '../errors.js';
import { loadProfileFile } from '../profile/index.js';
import { readReportInput } from '../report/index.js';
import { COMPARISON_FILE } from '../result/write.js';
import { loadScenarioFile } from '../actors/scenario.js';
import { agentRunOptions, listenForAgents } from './agent.js';
import { interruptible } from './interrupt.js';
import { checkOutDir } from './output.js';
import { progressPrinter } from './progress.js';
import { alignRows } from './table.js';
import {
  assertFaultsOnLocal,
  assertTargetArgs,
  assertTargetFiles,
  defaultOutDir,
  assertScenarioWorkers,
  integerFlag,
  MAX_REPEAT,
  openLiveMetrics,
  scenarioArguments,
  scenarioOverridesOf,
  targetOptions,
  targetOptionsOf,
  writeReportQuietly,
} from './options.js';

export function compareCommand(y: Argv) {
  return scenarioArguments(y).options({
    profile: {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'profile file (repeat the option; the first is the baseline)',
    },
    repeat: {
      type: 'number',
      default: 1,
      describe: `runs per profile, interleaved (A B B A ...), at most ${MAX_REPEAT}`,
      coerce: integerFlag('repeat', 1, MAX_REPEAT),
    },
    victim: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        'actor group whose latency is compared with the --noisy one given at the same position',
    },
    noisy: { type: 'string', array: true, default: [] as string[], describe: 'see --victim' },
    ...targetOptions,
    ...agentRunOptions,
  });
}

type CompareArgs = Awaited<ReturnType<ReturnType<typeof compareCommand>['parseAsync']>>;

/**
 * `apfbench compare`: Ctrl-C stops the current run, which still drains, cleans up and restores
 * the flowcontrol objects; comparison.json then holds the runs finished so far. Exit 130.
 */
export async function compareHandler(argv: CompareArgs): Promise<number> {
  const scenario = await loadScenarioFile(argv.scenario, scenarioOverridesOf(argv));
  const profiles = await Promise.all(
    argv.profile.map(async (file) => ({ file, profile: await loadProfileFile(file) })),
  );
  if (argv.victim.length !== argv.noisy.length) {
    throw new ApfbenchError('APFBENCH_BAD_PAIRS', 'give as many --noisy as --victim options', {
      kind: 'invalid-input',
    });
  }
  const groups = new Set(scenario.spec.actors.map((g) => g.name));
  const unknown = [...argv.victim, ...argv.noisy].filter((g) => !groups.has(g));
  if (unknown.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_PAIRS',
      `--victim/--noisy name actor groups the scenario does not have: ${unknown.join(', ')}`,
      { kind: 'invalid-input', hint: `its groups: ${[...groups].join(', ')}` },
    );
  }
  assertTargetArgs(argv);
  await assertFaultsOnLocal(scenario, argv.scenario, argv);
  assertScenarioWorkers(scenario, argv.scenario, argv.workers);
  await assertTargetFiles(argv);
  const out = argv.out ?? `${defaultOutDir(scenario.metadata.name)}-compare`;
  await checkOutDir(out, COMPARISON_FILE);
  // Listening before the first control plane starts; the agents stay for every profile's run.
  const agents = await listenForAgents(argv);
  const printer = progressPrinter({ quiet: argv.quiet });
  const metrics = await openLiveMetrics(argv);
  const abort = interruptible(
    printer.onPhase,
    'stopping the load, draining, cleaning up and restoring the flowcontrol objects',
  );
  let comparison: Comparison;
  try {
    comparison = await compareProfiles(scenario, profiles, {
      out,
      repeat: argv.repeat,
      target: targetOptionsOf(argv, printer.onPhase, printer.counter('building the control plane')),
      signal: abort.signal,
      workers: argv.workers,
      latencyPairs: argv.victim.map((victim, i) => ({ victim, noisy: argv.noisy[i]! })),
      scenarioFile: argv.scenario,
      onPhase: printer.onPhase,
      onProgress: printer.onProgress,
      onRuns: printer.counter('runs'),
      onFixtures: printer.counter('creating fixtures'),
      ...(metrics === undefined ? {} : { liveMetrics: metrics.live }),
      ...(agents === undefined
        ? {}
        : {
            distribute: agents.distribute(scenario, {
              workers: argv.workers,
              signal: abort.signal,
              onPhase: printer.onPhase,
            }),
          }),
    });
  } finally {
    printer.done();
    abort.dispose();
    await agents?.close();
    await metrics?.close();
  }
  const file = join(out, COMPARISON_FILE);
  process.stdout.write(`${comparisonTable(comparison).join('\n')}\ncomparison: ${file}\n`);
  // From the files just written, as `apfbench report comparison.json` would: one code path.
  if (argv.report && comparison.runs.length > 0) {
    await writeReportQuietly(() => readReportInput(file), out, file);
  }
  if (comparison.status === 'aborted') return 130;
  if (comparison.status === 'failed') {
    throw new ApfbenchError(
      'APFBENCH_COMPARE_FAILED',
      `compare did not finish: ${comparison.reason ?? 'unknown reason'} (partial comparison in ${out})`,
    );
  }
  return 0;
}

const fmt = (x: number) =>
  Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x)}`;

/**
 * The side-by-side table: one row per figure, the baseline's mean, then each other profile's
 * mean with its difference; with repeats, the 95 % interval and `*` when it excludes 0.
 * Figures equal in every run are left out.
 */
export function comparisonTable(c: Comparison): string[] {
  const names = c.profiles.map((p) => p.name);
  const rows = c.summary.figures
    .filter((f) => {
      const all = Object.values(f.byProfile).flatMap((s) => s.values);
      return all.some((v) => v !== all[0]);
    })
    .map((f) => [
      f.figure,
      ...names.map((name, i) => {
        const s = f.byProfile[name];
        if (s === undefined) return '-';
        const mean = s.n > 1 ? `${fmt(s.mean)} ±${fmt(s.sd)}` : fmt(s.mean);
        const d = i === 0 ? undefined : f.differences[name];
        if (d === undefined) return mean;
        const ci =
          d.ci95 === undefined
            ? ''
            : ` [${signed(d.ci95[0])}, ${signed(d.ci95[1])}]${d.significant === true ? '*' : ''}`;
        return `${mean} (${signed(d.diff)}${ci})`;
      }),
    ]);
  const header = ['figure', ...names.map((n, i) => (i === 0 ? `${n} (baseline)` : n))];
  const runs = `${c.runs.length} run(s), order ${c.order.join(' ')}`;
  const note =
    c.repeat > 1
      ? 'mean ±sd over repeats; (difference from the baseline [95% Welch interval], * = interval excludes 0)'
      : 'one run per profile: differences have no interval; use --repeat 3 or more to tell signal from noise';
  return [`${c.scenario}: ${c.status}, ${runs}`, ...alignRows([header, ...rows]), note];
}
