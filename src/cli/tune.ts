import { join } from 'node:path';
import type { Argv } from 'yargs';
import { loadScenarioFile } from '../actors/scenario.js';
import { unknownMetricProblems } from '../check/before-run.js';
import { loadBudgets, parsePath } from '../check/index.js';
import { estimateSweepMs } from '../engine/sweep-plan.js';
import {
  coordinateRuns,
  paretoFront,
  plannedRuns,
  spaceSize,
  strategyOf,
} from '../engine/tune-plan.js';
import { FINALISTS, TUNE_FILE, tune, type TuneDoc, type TunePlan } from '../engine/tune.js';
import { ApfbenchError } from '../errors.js';
import { loadProfileFile, type Profile } from '../profile/index.js';
import { basePathOf, dimensionsOf, loadTuneSpace } from '../profile/tune-space.js';
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
  scenarioArguments,
  scenarioOverridesOf,
  targetOptions,
  targetOptionsOf,
} from './options.js';
import { formatSeconds, progressPrinter } from './progress.js';
import { parseDuration } from '../validation/units.js';

export function tuneCommand(y: Argv) {
  return scenarioArguments(y).options({
    budget: {
      type: 'string',
      demandOption: true,
      describe:
        'budget file (kind: Budget, or a scenario with spec.budgets) every candidate must meet',
    },
    space: {
      type: 'string',
      demandOption: true,
      describe: 'TuneSpace file: the settings to search (docs/capacity.md)',
    },
    'max-runs': {
      type: 'number',
      default: 24,
      describe: `candidate runs at most (the ${FINALISTS} finalists' repeats come on top); a larger space is searched one setting at a time`,
      coerce: integerFlag('max-runs', 1, 500),
    },
    objective: {
      type: 'string',
      describe:
        'a metric path to maximise among the candidates that meet every budget (noisy.requests.total); default: the fewest 429s',
    },
    settle: {
      type: 'string',
      default: '5s',
      describe: 'pause between runs, after one run restored APF and before the next applies',
      coerce: durationFlag('settle'),
    },
    'dry-run': {
      type: 'boolean',
      default: false,
      describe: 'print the plan and the expected wall time only',
    },
    ...targetOptions,
  });
}

type TuneArgs = Awaited<ReturnType<ReturnType<typeof tuneCommand>['parseAsync']>>;

const EMPTY_BASE: Profile = {
  apiVersion: 'apfbench.dev/v1alpha1',
  kind: 'Profile',
  metadata: { name: 'empty' },
  spec: { priorityLevels: [], flowSchemas: [], remove: [] },
};

/** Refuses an --objective that does not parse or names no metric of the scenario's results. */
function checkObjective(objective: string | undefined, plan: Pick<TunePlan, 'scenario'>): void {
  if (objective === undefined) return;
  const parsed = parsePath(objective);
  const problems = parsed.ok
    ? unknownMetricProblems([{ expr: `${objective} >= 0` }], plan.scenario)
    : [parsed.message];
  if (problems.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_OBJECTIVE',
      `--objective ${objective}: ${problems.join('; ')}`,
      {
        kind: 'invalid-input',
        hint: 'a metric path of the budget language, e.g. noisy.requests.total (docs/ci.md)',
      },
    );
  }
}

/** The plan as lines: the dimensions, the strategy, the budgets and the expected wall time. */
export function tunePlanLines(plan: TunePlan, local: boolean, settleMs: number): string[] {
  const spec = plan.scenario.spec;
  const strategy = strategyOf(plan.dims, plan.maxRuns);
  const runs = plannedRuns(plan.dims, plan.maxRuns);
  const serverFlags = plan.dims.some((d) => d.level === undefined);
  const fixtureObjects = (spec.fixtures ?? []).reduce((n, f) => n + f.count, 0);
  const expected =
    estimateSweepMs({
      levels: runs + FINALISTS,
      profiles: serverFlags && local ? runs + FINALISTS : 1,
      repeat: 1,
      durationMs: spec.duration,
      settleMs,
      fixtureObjects,
      local,
    }) / (serverFlags && local ? runs + FINALISTS : 1);
  return [
    `tune plan: ${plan.scenario.metadata.name}, ${plan.dims.length} setting(s), ${spaceSize(plan.dims)} candidate(s) in the space`,
    ...plan.dims.map((d) => `  vary ${d.key}: ${d.values.join(' ')}`),
    strategy === 'grid'
      ? `  strategy: grid, every candidate once (${runs} run(s) <= --max-runs ${plan.maxRuns})`
      : `  strategy: coordinate search, one setting at a time from the first values, keeping the best: ${runs} run(s) (of ${coordinateRuns(plan.dims)}; --max-runs ${plan.maxRuns})`,
    `  then the ${FINALISTS} best that meet every budget once more: up to ${runs + FINALISTS} run(s) of ${formatSeconds(spec.duration / 1000)}, ${formatSeconds(settleMs / 1000)} settle between runs`,
    `  budgets: ${plan.budgets.map((b) => b.expr ?? b.metric ?? '').join(', ')}`,
    `  objective: ${plan.objective === undefined ? 'fewest 429s' : `maximise ${plan.objective}`}`,
    `expected wall time: about ${formatSeconds(expected / 1000)}`,
  ];
}

const fmt = (x: number | null, digits = 3) =>
  x === null ? '–' : String(Number(x.toPrecision(digits)));

/** The Pareto front of a tune as a markdown table. */
export function paretoTable(doc: TuneDoc): string[] {
  const front = paretoFront(doc.trials);
  return [
    '| trial | settings | budgets | objective | 429 ratio | victims p99 ms | server CPU s |',
    '|---|---|---|---|---|---|---|',
    ...front.map(
      (t) =>
        `| ${t.id}${t.id === doc.winner ? ' (winner)' : ''} | ${t.label} | ${t.meets ? 'met' : 'broken'} | ${fmt(t.objective)} | ${fmt(t.ratio429)} | ${fmt(t.victimsP99)} | ${fmt(t.cpuSeconds)} |`,
    ),
  ];
}

/** `apfbench tune`: Ctrl-C ends the current run (restoring APF), writes a partial tune.json, exits 130. */
export async function tuneHandler(argv: TuneArgs): Promise<number> {
  const overrides = scenarioOverridesOf(argv);
  const scenario = await loadScenarioFile(argv.scenario, overrides);
  const budgets = (await loadBudgets(argv.budget)).filter((b) => b.expr !== undefined);
  if (budgets.length === 0) {
    throw new ApfbenchError('APFBENCH_NO_BUDGETS', `${argv.budget} has no absolute budget`, {
      kind: 'invalid-input',
      hint: 'tune checks "<path> <op> <value>" budgets; relative ones need a baseline',
    });
  }
  const unknown = unknownMetricProblems(budgets, scenario);
  if (unknown.length > 0) {
    throw new ApfbenchError('APFBENCH_UNKNOWN_METRIC', `${argv.budget}: ${unknown.join('; ')}`, {
      kind: 'invalid-input',
    });
  }
  const space = await loadTuneSpace(argv.space);
  const basePath = basePathOf(space, argv.space);
  const base = basePath === undefined ? EMPTY_BASE : await loadProfileFile(basePath);
  const groups = scenario.spec.actors.map((a) => a.name);
  const victims = space.spec.victims ?? groups;
  const missing = victims.filter((v) => !groups.includes(v));
  if (missing.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_INVALID_SPACE',
      `${argv.space}: spec.victims names ${missing.join(', ')}, not an actor group of ${scenario.metadata.name} (${groups.join(', ')})`,
      { kind: 'invalid-input' },
    );
  }
  const plan: TunePlan = {
    scenario,
    budgets,
    objective: argv.objective,
    dims: dimensionsOf(space),
    base,
    maxRuns: argv['max-runs'],
    victims,
  };
  checkObjective(argv.objective, plan);
  assertTargetArgs(argv);
  await assertFaultsOnLocal(scenario, argv.scenario, argv);
  assertScenarioWorkers(scenario, argv.scenario, argv.workers);
  const cluster = clusterSelectionOf(argv);
  const parsedSettle = parseDuration(argv.settle ?? '0s');
  const settleMs = parsedSettle.ok ? parsedSettle.value : 0;
  process.stdout.write(`${tunePlanLines(plan, cluster === undefined, settleMs).join('\n')}\n`);
  if (argv['dry-run']) return 0;
  await assertTargetFiles(argv);
  const out = argv.out ?? `${defaultOutDir(scenario.metadata.name)}-tune`;
  await checkOutDir(out, TUNE_FILE);
  const printer = progressPrinter({ quiet: argv.quiet });
  const abort = interruptible(
    printer.onPhase,
    'stopping the load, draining, cleaning up and restoring the flowcontrol objects; finished runs are kept',
  );
  let doc: TuneDoc;
  try {
    doc = await tune(plan, {
      out,
      target: targetOptionsOf(argv, printer.onPhase, printer.counter('building the control plane')),
      settleMs,
      signal: abort.signal,
      workers: argv.workers,
      onPhase: printer.onPhase,
      onProgress: printer.onProgress,
      onFixtures: printer.counter('creating fixtures'),
    });
  } finally {
    printer.done();
    abort.dispose();
  }
  const winner = doc.trials.find((t) => t.id === doc.winner);
  process.stdout.write(
    [
      `${doc.scenario}: tune ${doc.status}, ${doc.trials.length} candidate(s), ${doc.trials.reduce((n, t) => n + t.runs.length, 0)} run(s)`,
      '',
      'Pareto front (429 ratio, victims p99, server CPU; lower is better):',
      '',
      ...paretoTable(doc),
      '',
      winner === undefined
        ? 'no candidate met every budget'
        : `winner: trial ${winner.id}, ${winner.label}: ${join(out, doc.profile ?? '')}`,
      `tune: ${join(out, TUNE_FILE)}`,
      '',
    ].join('\n'),
  );
  if (doc.status === 'partial') return 130;
  if (doc.status === 'failed') {
    throw new ApfbenchError(
      'APFBENCH_TUNE_FAILED',
      `tune did not finish: ${doc.reason ?? 'unknown reason'} (partial tune in ${out})`,
    );
  }
  if (winner === undefined) {
    throw new ApfbenchError(
      'APFBENCH_TUNE_NO_WINNER',
      `none of the ${doc.trials.length} candidate(s) met every budget (runs in ${out})`,
    );
  }
  return 0;
}
