import { join } from 'node:path';
import type { Argv } from 'yargs';
import { loadScenarioFile } from '../actors/scenario.js';
import { unknownMetricProblems } from '../check/before-run.js';
import { stopProblem } from '../check/sweep-verdict.js';
import {
  estimateSweepMs,
  parseVary,
  sweepLevels,
  type Level,
  type Spacing,
  type Vary,
} from '../engine/sweep-plan.js';
import { levelScenario, sweepProfiles, type SweepPlan } from '../engine/sweep.js';
import { ApfbenchError } from '../errors.js';
import { loadProfileFile } from '../profile/index.js';
import { kneeSentences, readReportInput } from '../report/index.js';
import type { Sweep } from '../result/result.js';
import { SWEEP_FILE } from '../result/write.js';
import { parseDuration } from '../validation/units.js';
import { interruptible } from './interrupt.js';
import { checkOutDir } from './output.js';
import {
  assertFaultsOnLocal,
  assertScenarioWorkers,
  assertTargetArgs,
  assertTargetFiles,
  clusterSelectionOf,
  defaultOutDir,
  durationFlag,
  integerFlag,
  MAX_REPEAT,
  openLiveMetrics,
  scenarioArguments,
  scenarioOverridesOf,
  targetOptions,
  targetOptionsOf,
  writeReportQuietly,
} from './options.js';
import { formatSeconds, progressPrinter } from './progress.js';

export function sweepCommand(y: Argv) {
  return scenarioArguments(y).options({
    vary: {
      type: 'string',
      array: true,
      demandOption: true,
      describe:
        'PATH=FROM..TO: the field to vary, a --set path whose list entries may be named (spec.actors[noisy].rate=20/s..140/s); several make a grid, the first is the x axis',
    },
    steps: {
      type: 'number',
      describe: 'levels per --vary, evenly spaced from FROM to TO (default 5)',
      coerce: (v: number | undefined) => (v === undefined ? v : integerFlag('steps', 1, 100)(v)),
    },
    factor: {
      type: 'number',
      describe: 'instead of --steps: each level FACTOR times the one before, from FROM up to TO',
    },
    profile: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        'APF profile file (repeat the option); each gets a control plane of its own. None: the APF objects as they are',
    },
    repeat: {
      type: 'number',
      default: 1,
      describe: `runs per level (the curves then show intervals), at most ${MAX_REPEAT}`,
      coerce: integerFlag('repeat', 1, MAX_REPEAT),
    },
    settle: {
      type: 'string',
      default: '5s',
      describe: 'pause between levels on the same control plane',
      coerce: durationFlag('settle'),
    },
    stop: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe:
        'a budget-language expression (kubelets.heartbeats.late > 0): a level where it holds is the knee, and higher levels are not run',
    },
    'dry-run': {
      type: 'boolean',
      default: false,
      describe: 'print the plan and the expected wall time only',
    },
    ...targetOptions,
  });
}

type SweepArgs = Awaited<ReturnType<ReturnType<typeof sweepCommand>['parseAsync']>>;

function spacingOf(argv: Pick<SweepArgs, 'steps' | 'factor'>): Spacing {
  if (argv.steps !== undefined && argv.factor !== undefined) {
    throw new ApfbenchError('APFBENCH_BAD_FLAG', 'give --steps or --factor, not both', {
      kind: 'invalid-input',
    });
  }
  if (argv.factor === undefined) return { steps: argv.steps ?? 5 };
  if (!(argv.factor > 1) || !Number.isFinite(argv.factor)) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      `--factor must be a number above 1 (got ${argv.factor})`,
      { kind: 'invalid-input', hint: 'for a falling load, swap FROM and TO' },
    );
  }
  return { factor: argv.factor };
}

/** Refuses, before anything runs, a --stop that does not parse or names no metric. */
function checkStops(stops: readonly string[], plan: Pick<SweepPlan, 'scenario'>): void {
  const problems = stops.flatMap((stop) => {
    const syntax = stopProblem(stop);
    if (syntax !== undefined) return [`"${stop}": ${syntax}`];
    return unknownMetricProblems([{ expr: stop }], plan.scenario).map((p) => `"${stop}": ${p}`);
  });
  if (problems.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_STOP',
      `--stop:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      {
        kind: 'invalid-input',
        hint: 'a stop condition is <path> <op> <value>, e.g. kubelets.heartbeats.late > 0 (docs/ci.md has the grammar)',
      },
    );
  }
}

/** The plan as lines: the levels, the profiles, what ends a row, and the expected wall time. */
export function planLines(
  plan: SweepPlan,
  how: { repeat: number; settleMs: number; local: boolean },
): string[] {
  const spec = plan.scenario.spec;
  const fixtureObjects = (spec.fixtures ?? []).reduce((n, f) => n + f.count, 0);
  const profiles = plan.profiles.length;
  const runs = plan.levels.length * Math.max(1, profiles) * how.repeat;
  const expected = estimateSweepMs({
    levels: plan.levels.length,
    profiles: Math.max(1, profiles),
    repeat: how.repeat,
    durationMs: spec.duration,
    settleMs: how.settleMs,
    fixtureObjects,
    local: how.local,
  });
  const values = (v: Vary) => v.values.map((x) => `${x}${v.unit}`).join(' ');
  return [
    `sweep plan: ${plan.scenario.metadata.name}, ${plan.levels.length} level(s) × ${Math.max(1, profiles)} profile(s)${how.repeat > 1 ? ` × ${how.repeat} repeats` : ''} = ${runs} run(s)`,
    ...plan.varies.map(
      (v, i) =>
        `  vary ${v.path}${v.setPath === v.path ? '' : ` (${v.setPath})`}: ${values(v)}${i === 0 && plan.varies.length > 1 ? ' (the x axis; one row per value of the others)' : ''}`,
    ),
    `  profiles: ${profiles === 0 ? 'none (the APF objects as they are)' : plan.profiles.map((p) => `${p.profile.metadata.name} (${p.file})`).join(', ')}`,
    `  each level: ${formatSeconds(spec.duration / 1000)}${spec.warmup > 0 ? ` (warm-up ${formatSeconds(spec.warmup / 1000)})` : ''}, ${fixtureObjects} fixture object(s); ${formatSeconds(how.settleMs / 1000)} settle between levels${how.local ? '; a local control plane per profile' : ''}`,
    `  stop a row when: ${plan.stops.length === 0 ? 'a run does not complete' : plan.stops.join(' or ')}`,
    ...(spec.budgets === undefined || spec.budgets.length === 0
      ? []
      : [
          `  knee also where a budget breaks: ${spec.budgets.flatMap((b) => b.expr ?? []).join(', ')}`,
        ]),
    `expected wall time: about ${formatSeconds(expected / 1000)} (less when a stop condition ends a row early)`,
  ];
}

/**
 * `apfbench sweep`: Ctrl-C stops the current level, which still drains, cleans up and restores
 * the flowcontrol objects; sweep.json then holds the levels finished so far (status partial),
 * and the command exits 130.
 */
export async function sweepHandler(argv: SweepArgs): Promise<number> {
  const overrides = scenarioOverridesOf(argv);
  const scenario = await loadScenarioFile(argv.scenario, overrides);
  const spacing = spacingOf(argv);
  const varies = argv.vary.map((flag) => parseVary(flag, spacing, scenario));
  const levels: Level[] = sweepLevels(varies);
  const source = { file: argv.scenario, overrides };
  // Every level's scenario, validated now: a value the schema refuses fails before any load.
  const levelScenarios = await Promise.all(levels.map((l) => levelScenario(source, l.sets)));
  const profiles = await Promise.all(
    argv.profile.map(async (file) => ({ file, profile: await loadProfileFile(file) })),
  );
  const plan: SweepPlan = {
    source,
    scenario,
    varies,
    levels,
    levelScenarios,
    profiles,
    stops: argv.stop,
  };
  checkStops(argv.stop, plan);
  assertTargetArgs(argv);
  await assertFaultsOnLocal(scenario, argv.scenario, argv);
  assertScenarioWorkers(scenario, argv.scenario, argv.workers);
  const cluster = clusterSelectionOf(argv);
  const settleMs = settleMsOf(argv.settle);
  process.stdout.write(
    `${planLines(plan, { repeat: argv.repeat, settleMs, local: cluster === undefined }).join('\n')}\n`,
  );
  if (argv['dry-run']) return 0;
  await assertTargetFiles(argv);
  const out = argv.out ?? `${defaultOutDir(scenario.metadata.name)}-sweep`;
  await checkOutDir(out, SWEEP_FILE);
  const printer = progressPrinter({ quiet: argv.quiet });
  const metrics = await openLiveMetrics(argv);
  const abort = interruptible(
    printer.onPhase,
    'stopping the load, draining, cleaning up and restoring the flowcontrol objects; finished levels are kept',
  );
  let sweep: Sweep;
  try {
    sweep = await sweepProfiles(plan, {
      out,
      repeat: argv.repeat,
      settleMs,
      target: targetOptionsOf(argv, printer.onPhase, printer.counter('building the control plane')),
      signal: abort.signal,
      workers: argv.workers,
      onPhase: printer.onPhase,
      onProgress: printer.onProgress,
      onRuns: printer.counter('levels'),
      onFixtures: printer.counter('creating fixtures'),
      ...(metrics === undefined ? {} : { liveMetrics: metrics.live }),
    });
  } finally {
    printer.done();
    abort.dispose();
    await metrics?.close();
  }
  const file = join(out, SWEEP_FILE);
  process.stdout.write(
    `${[`${sweep.scenario}: sweep ${sweep.status}, ${sweep.runs.length} run(s)`, ...kneeSentences(sweep)].join('\n')}\nsweep: ${file}\n`,
  );
  // From the files just written, as `apfbench report sweep.json` would: one code path.
  if (argv.report && sweep.verdicts.length > 0) {
    await writeReportQuietly(() => readReportInput(file), out, file);
  }
  if (sweep.status === 'partial') return 130;
  if (sweep.status === 'failed') {
    throw new ApfbenchError(
      'APFBENCH_SWEEP_FAILED',
      `sweep did not finish: ${sweep.reason ?? 'unknown reason'} (partial sweep in ${out})`,
    );
  }
  return 0;
}

function settleMsOf(text: string | undefined): number {
  const parsed = parseDuration(text ?? '0s');
  return parsed.ok ? parsed.value : 0;
}
