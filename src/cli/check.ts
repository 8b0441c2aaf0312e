import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import {
  budgetsSchema,
  evaluateBudgets,
  loadBudgets,
  loadRuns,
  renderCheckMarkdown,
  renderJUnit,
  type Budget,
  type CheckReport,
  type LoadedRun,
} from '../check/index.js';
import { unknownMetricProblems } from '../check/before-run.js';
import { ApfbenchError } from '../errors.js';
import { checkOutFile } from './output.js';
import type { Scenario } from '../actors/scenario.js';

/** Options `run --check` shares with `check`. */
export const checkOutputOptions = {
  baseline: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'baseline result.json or comparison.json[#PROFILE]; repeat for repeated runs',
  },
  budget: {
    type: 'string',
    describe: "a Budget file, or a scenario with spec.budgets (default: the candidate's scenario)",
  },
  junit: {
    type: 'string',
    describe: 'JUnit XML output (default: junit.xml next to the candidate)',
  },
  summary: {
    type: 'string',
    describe: 'Markdown summary output (default: check-summary.md next to the candidate)',
  },
} as const;

export function checkCommand(y: Argv) {
  return y
    .options({
      candidate: {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'result.json or comparison.json[#PROFILE] to check; repeat for repeated runs',
      },
      ...checkOutputOptions,
    })
    .example(
      '$0 check --candidate results/new/result.json --baseline examples/ci/baseline.json --budget examples/ci/budget.yaml',
      'fail (exit 3) when a budget is broken or a metric regressed',
    );
}

type CheckArgs = Awaited<ReturnType<ReturnType<typeof checkCommand>['parseAsync']>>;

const fileOf = (spec: string) =>
  spec.lastIndexOf('#') > 0 ? spec.slice(0, spec.lastIndexOf('#')) : spec;

async function loadAll(specs: readonly string[]): Promise<LoadedRun[]> {
  const runs: LoadedRun[] = [];
  for (const spec of specs) runs.push(...(await loadRuns(spec)));
  return runs;
}

/** Budgets a result carries in its scenario (re-validated: a result file is input too). */
function budgetsOfResult(run: LoadedRun): Budget[] {
  const parsed = budgetsSchema.safeParse(run.result.scenario.spec.budgets ?? []);
  if (!parsed.success) {
    throw new ApfbenchError(
      'APFBENCH_INVALID_BUDGET',
      `${run.source}: scenario.spec.budgets is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      { kind: 'invalid-input' },
    );
  }
  if (parsed.data.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_NO_BUDGETS',
      `no budgets: ${run.source} has none in its scenario and no --budget was given`,
      {
        kind: 'invalid-input',
        hint: 'Give --budget FILE (a kind: Budget file), or add spec.budgets to the scenario; see docs/ci.md.',
      },
    );
  }
  return parsed.data;
}

const TAG = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIP' } as const;

/** Console lines: every budget with its outcome; the command layer prints them. */
export function reportLines(report: CheckReport): string[] {
  const runs = (n: number, what: string) => `${n} ${what} run${n === 1 ? '' : 's'}`;
  const lines = [
    `check ${report.scenario}: ${runs(report.candidates.length, 'candidate')}, ${runs(report.baselines.length, 'baseline')}`,
  ];
  for (const r of report.results) lines.push(`  ${TAG[r.outcome]}  ${r.name}: ${r.message}`);
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

export interface CheckOptions {
  readonly candidates: readonly string[];
  readonly baselines: readonly string[];
  readonly budget?: string | undefined;
  readonly junit?: string | undefined;
  readonly summary?: string | undefined;
}

/**
 * Evaluates, writes the JUnit XML and the Markdown summary, prints every budget, and throws a
 * check-failed ApfbenchError (exit 3) naming the broken ones. Returns 0 when all hold.
 */
export async function runCheck(opts: CheckOptions, preloaded?: Budget[]): Promise<number> {
  const candidates = await loadAll(opts.candidates);
  const baselines = await loadAll(opts.baselines);
  const first = candidates[0];
  if (first === undefined)
    throw new ApfbenchError('APFBENCH_NO_CANDIDATE', 'no candidate given', {
      kind: 'invalid-input',
    });
  const budgets =
    preloaded ??
    (opts.budget !== undefined ? await loadBudgets(opts.budget) : budgetsOfResult(first));
  const report = evaluateBudgets(budgets, candidates, baselines);

  const dir = dirname(fileOf(opts.candidates[0] ?? '.'));
  const junit = opts.junit ?? join(dir, 'junit.xml');
  const summary = opts.summary ?? join(dir, 'check-summary.md');
  for (const [file, text] of [
    [junit, renderJUnit(report)],
    [summary, renderCheckMarkdown(report)],
  ] as const) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  process.stdout.write(`${reportLines(report).join('\n')}\njunit: ${junit}\nsummary: ${summary}\n`);
  const broken = report.results.filter((r) => r.outcome === 'fail');
  if (broken.length === 0) return 0;
  throw new ApfbenchError(
    'APFBENCH_CHECK_FAILED',
    `${broken.length} of ${report.results.length} budgets broken:\n${broken.map((r) => `  ${r.name}: ${r.message}`).join('\n')}`,
    { kind: 'check-failed', hint: `details in ${summary} and ${junit}` },
  );
}

/** `--junit` and `--summary`, when given, before anything is read or run. */
async function checkOutputFiles(opts: Pick<CheckOptions, 'junit' | 'summary'>): Promise<void> {
  if (opts.junit !== undefined) await checkOutFile('--junit', opts.junit);
  if (opts.summary !== undefined) await checkOutFile('--summary', opts.summary);
}

export async function checkHandler(argv: CheckArgs): Promise<number> {
  await checkOutputFiles(argv);
  return runCheck({
    candidates: argv.candidate,
    baselines: argv.baseline,
    budget: argv.budget,
    junit: argv.junit,
    summary: argv.summary,
  });
}

/**
 * For `run --check`: reads the budgets and baselines before the load starts, so that bad input
 * fails in a second rather than after the run. Returns what to call with the written result.
 */
export async function prepareRunCheck(
  scenario: Scenario,
  opts: Omit<CheckOptions, 'candidates'>,
): Promise<(resultFile: string) => Promise<number>> {
  await checkOutputFiles(opts);
  const budgets =
    opts.budget !== undefined ? await loadBudgets(opts.budget) : (scenario.spec.budgets ?? []);
  if (budgets.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_NO_BUDGETS',
      `--check: scenario ${scenario.metadata.name} has no spec.budgets and no --budget was given`,
      {
        kind: 'invalid-input',
        hint: 'Give --budget FILE, or add spec.budgets to the scenario; see docs/ci.md.',
      },
    );
  }
  const problems = unknownMetricProblems(budgets, scenario);
  if (problems.length > 0) {
    const from = opts.budget ?? `scenario ${scenario.metadata.name} (spec.budgets)`;
    throw new ApfbenchError(
      'APFBENCH_UNKNOWN_METRIC',
      `--check: budgets in ${from} name what a run of this scenario does not write:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      {
        kind: 'invalid-input',
        hint: 'Paths start with an actor group of the scenario (or * for all) and name a field of it; docs/ci.md lists the grammar and docs/result-format.md the fields.',
      },
    );
  }
  await loadAll(opts.baselines);
  return (resultFile) => runCheck({ ...opts, candidates: [resultFile] }, budgets);
}
