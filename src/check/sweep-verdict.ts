// A sweep's verdict on each load level (did a stop condition hold, did a budget break?) and the
// knee of each profile: the first level that broke. Pure: the runs are arguments.
import { parseExpression, type Operator } from '../budget/expression.js';
import type { Budget } from '../budget/schema.js';
import { evaluateBudgets } from './evaluate.js';
import type { LoadedRun } from './results.js';

/** The operator that holds exactly when `op` does not (for numbers). */
const NEGATION: Readonly<Record<Operator, Operator>> = {
  '<': '>=',
  '<=': '>',
  '>': '<=',
  '>=': '<',
  '==': '!=',
  '!=': '==',
};

const STOP_PREFIX = 'stop: ';

/**
 * A stop condition (`kubelets.heartbeats.late > 0`: stop when it holds) as the budget it breaks
 * (`kubelets.heartbeats.late <= 0`), over the median of a level's repeats so that one noisy run
 * does not end the sweep. Its name is the condition, marked as one.
 */
export function stopAsBudget(stop: string): Budget {
  const parsed = parseExpression(stop);
  if (!parsed.ok) throw new Error(`not an expression: ${stop} (${parsed.message})`);
  const { path, op, value } = parsed.value;
  return {
    name: `${STOP_PREFIX}${parsed.value.text}`,
    expr: `${path.text} ${NEGATION[op]} ${String(value)}`,
    // A median of true/false means nothing: a boolean condition holds if it holds in any run.
    over: typeof value === 'boolean' ? 'each' : 'median',
  };
}

/** Checks a stop condition's syntax; undefined when it parses, else what is wrong. */
export function stopProblem(stop: string): string | undefined {
  const parsed = parseExpression(stop);
  return parsed.ok ? undefined : parsed.message;
}

export interface LevelVerdict {
  readonly broken: boolean;
  /** A stop condition held, or a run did not complete: the rest of the row is not run. */
  readonly stopped: boolean;
  readonly reasons: readonly string[];
}

/**
 * The verdict on one level from its runs (its repeats): stop conditions over their median,
 * the scenario's absolute budgets on each run (as `check` does), and whether every run
 * completed. Relative budgets need a baseline and are left out. Throws `APFBENCH_UNKNOWN_METRIC`
 * when a condition names what the results do not have, as `check` does.
 */
export function levelVerdict(
  runs: readonly LoadedRun[],
  stops: readonly string[],
  budgets: readonly Budget[],
): LevelVerdict {
  const absolute = budgets.filter((b) => b.expr !== undefined);
  const all = [...stops.map(stopAsBudget), ...absolute];
  const reasons: string[] = [];
  let stopped = false;
  if (all.length === 0) {
    const incomplete = runs.filter((r) => r.result.status !== 'completed');
    for (const r of incomplete) reasons.push(`${r.source}: ${r.result.status}`);
    return { broken: incomplete.length > 0, stopped: incomplete.length > 0, reasons };
  }
  const report = evaluateBudgets(all, runs);
  for (const r of report.results) {
    if (r.outcome !== 'fail') continue;
    if (r.kind === 'status') {
      stopped = true;
      reasons.push(`run not completed: ${r.message}`);
    } else if (r.name.startsWith(STOP_PREFIX)) {
      stopped = true;
      reasons.push(`${r.name} (${r.message.replace(/, limit .*$/, '')})`);
    } else {
      reasons.push(`budget ${r.name}: ${r.message}`);
    }
  }
  return { broken: reasons.length > 0, stopped, reasons };
}

export interface KneeInput {
  readonly row: number;
  readonly level: number;
  readonly broken: boolean;
}

export interface Knee {
  readonly row: number;
  /** The first level of the row that broke; null: none of those run broke. */
  readonly knee: number | null;
  /** The last level before it that held (or the row's last); null: the first one broke. */
  readonly holdsUpTo: number | null;
}

/** Per row, in row order: the first broken level and the last one that held before it. */
export function findKnees(verdicts: readonly KneeInput[]): Knee[] {
  const rows = [...new Set(verdicts.map((v) => v.row))].sort((a, b) => a - b);
  return rows.map((row) => {
    const levels = verdicts.filter((v) => v.row === row).sort((a, b) => a.level - b.level);
    const at = levels.findIndex((v) => v.broken);
    const held = at < 0 ? levels : levels.slice(0, at);
    return {
      row,
      knee: at < 0 ? null : levels[at]!.level,
      holdsUpTo: held.at(-1)?.level ?? null,
    };
  });
}
