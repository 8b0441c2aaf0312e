// Evaluating budgets on candidate runs, against baseline runs for relative limits. Pure: the
// runs are arguments; the command layer reads files, prints and sets the exit code.
import { ApfbenchError } from '../errors.js';
import type { Budget } from '../budget/schema.js';
import { holds, parseExpression, parsePercent, type Expression } from '../budget/expression.js';
import {
  describeFailure,
  formatKeys,
  isCountMap,
  parsePath,
  resolvePath,
  shorthandOf,
  type Match,
  type MetricPath,
} from '../budget/path.js';
import { describeLagCause } from '../metrics/lag-cause.js';
import { harnessCostOf } from '../result/result.js';
import type { LoadedRun } from './results.js';
import { mean, median, welchTTest } from './stats.js';

export type Outcome = 'pass' | 'fail' | 'skipped';

export interface BudgetResult {
  /** The budget's `name`, else its description. */
  readonly name: string;
  /** What it demands, e.g. `tenant.latencyMs.p99 < 500`. */
  readonly description: string;
  readonly kind: 'absolute' | 'relative' | 'status';
  readonly outcome: Outcome;
  /** One line: what was observed against the limit. */
  readonly message: string;
  /** One line per value checked (per group, code, run ...). */
  readonly details: readonly string[];
}

export interface CheckReport {
  readonly scenario: string;
  readonly candidates: readonly string[];
  readonly baselines: readonly string[];
  readonly results: readonly BudgetResult[];
  readonly warnings: readonly string[];
  readonly passed: boolean;
  /** When the candidate run ended (for the JUnit timestamp). */
  readonly timestamp: string;
}

/** Default significance level of the regression test. */
export const DEFAULT_ALPHA = 0.05;

const isMs = (keys: readonly string[]) => keys.some((k) => /Ms$/.test(k));

/** A number for people: integers as they are, others to four significant digits. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(4)));
}

const formatValue = (v: number | boolean | null, keys: readonly string[]) =>
  v === null
    ? 'no value'
    : typeof v === 'boolean'
      ? String(v)
      : `${formatNumber(v)}${isMs(keys) ? ' ms' : ''}`;

const formatChange = (c: number) =>
  Number.isFinite(c) ? `${c >= 0 ? '+' : ''}${formatNumber(c * 100)}%` : c > 0 ? '+∞%' : '-∞%';

/** A budget's description as a sentence-like line. */
export function describeBudget(budget: Budget): string {
  if (budget.expr !== undefined) {
    const over =
      budget.over !== undefined && budget.over !== 'each' ? ` (${budget.over} of runs)` : '';
    return `${budget.expr.trim()}${over}`;
  }
  const parts: string[] = [];
  if (budget.maxIncrease !== undefined) parts.push(`grow by more than ${budget.maxIncrease}`);
  if (budget.maxDecrease !== undefined) parts.push(`shrink by more than ${budget.maxDecrease}`);
  return `${budget.metric ?? ''} may not ${parts.join(' or ')} over the baseline`;
}

interface Context {
  readonly candidates: readonly LoadedRun[];
  readonly baselines: readonly LoadedRun[];
  readonly problems: string[];
}

const runLabel = (runs: readonly LoadedRun[], i: number) =>
  runs.length > 1 ? ` (run ${i + 1}: ${runs[i]?.source ?? ''})` : '';

/** Resolves `path` in every run; records a problem (and returns undefined) if it fails in one. */
function resolveAll(
  path: MetricPath,
  runs: readonly LoadedRun[],
  side: string,
  ctx: Context,
): Match[][] | undefined {
  const out: Match[][] = [];
  for (const run of runs) {
    const resolved = resolvePath(run.result, path);
    if (!resolved.ok) {
      const where = runs.length > 1 || side !== 'candidate' ? ` (in ${side} ${run.source})` : '';
      ctx.problems.push(`${describeFailure(path, resolved.failure, run.result)}${where}`);
      return undefined;
    }
    out.push(resolved.matches);
  }
  return out;
}

function evaluateAbsolute(
  budget: Budget,
  expr: Expression,
  ctx: Context,
): Omit<BudgetResult, 'name' | 'description' | 'kind'> | undefined {
  const perRun = resolveAll(expr.path, ctx.candidates, 'candidate', ctx);
  if (perRun === undefined) return undefined;
  const unit = /Ms(\.|$)/.test(expr.path.text) ? ' ms' : '';
  const limit = `${expr.op} ${typeof expr.value === 'number' ? `${formatNumber(expr.value)}${unit}` : String(expr.value)}`;
  const checked: {
    label: string;
    value: number | boolean | null;
    keys: readonly string[];
    ok: boolean;
  }[] = [];
  const over = budget.over ?? 'each';
  if (over === 'each') {
    perRun.forEach((matches, i) => {
      for (const m of matches) {
        checked.push({
          label: `${shorthandOf(m.keys)}${runLabel(ctx.candidates, i)}`,
          value: m.value,
          keys: m.keys,
          ok: holds(m.value, expr.op, expr.value),
        });
      }
    });
  } else {
    const byKey = new Map<string, { keys: readonly string[]; values: number[] }>();
    for (const matches of perRun) {
      for (const m of matches) {
        if (typeof m.value === 'boolean') {
          ctx.problems.push(
            `budget "${budget.expr ?? ''}": over: ${over} needs numbers, but ${shorthandOf(m.keys)} is true/false`,
          );
          return undefined;
        }
        const id = formatKeys(m.keys);
        const entry = byKey.get(id) ?? { keys: m.keys, values: [] };
        if (m.value !== null) entry.values.push(m.value);
        byKey.set(id, entry);
      }
    }
    const aggregate = {
      median,
      mean,
      min: (xs: number[]) => Math.min(...xs),
      max: (xs: number[]) => Math.max(...xs),
    }[over];
    for (const { keys, values } of byKey.values()) {
      const value = values.length === 0 ? null : aggregate(values);
      checked.push({
        label: `${over} of ${shorthandOf(keys)} over ${values.length} runs`,
        value,
        keys,
        ok: holds(value, expr.op, expr.value),
      });
    }
  }
  const broken = checked.filter((c) => !c.ok);
  const details = checked.map(
    (c) =>
      `${c.ok ? 'ok' : 'BROKEN'}: ${c.label} = ${formatValue(c.value, c.keys)} (limit ${limit})`,
  );
  const shown = (c: (typeof checked)[number]) => `${c.label} = ${formatValue(c.value, c.keys)}`;
  if (broken.length === 0) {
    const message =
      checked.length === 1 && checked[0] !== undefined
        ? `observed ${formatValue(checked[0].value, checked[0].keys)}, limit ${limit}`
        : `all ${checked.length} values within the limit ${limit}`;
    return { outcome: 'pass', message, details };
  }
  const message =
    checked.length === 1 && broken[0] !== undefined
      ? `observed ${formatValue(broken[0].value, broken[0].keys)}, limit ${limit}`
      : `${broken.length} of ${checked.length} values break the limit ${limit}: ${broken.slice(0, 5).map(shown).join('; ')}${broken.length > 5 ? '; ...' : ''}`;
  return { outcome: 'fail', message, details };
}

/** Values by concrete location, per run; a location absent from a run under a count map is 0. */
function valuesByKey(
  perRun: Match[][],
): { id: string; keys: readonly string[]; defaulted: boolean }[] {
  const seen = new Map<string, { id: string; keys: readonly string[]; defaulted: boolean }>();
  for (const matches of perRun) {
    for (const m of matches) {
      const id = formatKeys(m.keys);
      const prior = seen.get(id);
      seen.set(id, { id, keys: m.keys, defaulted: (prior?.defaulted ?? true) && m.defaulted });
    }
  }
  const all = [...seen.values()];
  // A glob that matched nothing stands for 0; drop it where real keys exist alongside it.
  return all.some((e) => !e.defaulted) ? all.filter((e) => !e.defaulted) : all.slice(0, 1);
}

function lookup(
  perRun: Match[][],
  id: string,
  keys: readonly string[],
): (number | boolean | null)[] | undefined {
  const out: (number | boolean | null)[] = [];
  for (const matches of perRun) {
    const m = matches.find((x) => formatKeys(x.keys) === id);
    if (m !== undefined) out.push(m.value);
    else if (isCountMap(keys.at(-2))) out.push(0);
    else return undefined;
  }
  return out;
}

function evaluateRelative(
  budget: Budget,
  path: MetricPath,
  ctx: Context,
): Omit<BudgetResult, 'name' | 'description' | 'kind'> | undefined {
  if (ctx.baselines.length === 0) {
    return {
      outcome: 'skipped',
      message: 'skipped: no baseline given (--baseline)',
      details: [],
    };
  }
  const cand = resolveAll(path, ctx.candidates, 'candidate', ctx);
  const base = resolveAll(path, ctx.baselines, 'baseline', ctx);
  if (cand === undefined || base === undefined) return undefined;
  const alpha = budget.alpha ?? DEFAULT_ALPHA;
  const floor = budget.minChange ?? 0;
  const maxUp = budget.maxIncrease === undefined ? undefined : parsePercent(budget.maxIncrease);
  const maxDown = budget.maxDecrease === undefined ? undefined : parsePercent(budget.maxDecrease);
  const limit = [
    maxUp === undefined ? '' : `+${budget.maxIncrease ?? ''}`,
    maxDown === undefined ? '' : `-${budget.maxDecrease ?? ''}`,
  ]
    .filter(Boolean)
    .join(' / ');

  const details: string[] = [];
  const broken: string[] = [];
  for (const { id, keys } of valuesByKey([...cand, ...base])) {
    const label = shorthandOf(keys);
    const cv = lookup(cand, id, keys);
    const bv = lookup(base, id, keys);
    if (cv === undefined || bv === undefined) {
      const side = cv === undefined ? 'candidate' : 'baseline';
      ctx.problems.push(
        `budget on "${path.text}": the ${side} has no value at ${label}; were both sides produced by the same scenario?`,
      );
      return undefined;
    }
    if ([...cv, ...bv].some((v) => typeof v === 'boolean')) {
      ctx.problems.push(
        `budget on "${path.text}": ${label} is true/false; a relative limit needs a number`,
      );
      return undefined;
    }
    const cs = cv.filter((v): v is number => typeof v === 'number');
    const bs = bv.filter((v): v is number => typeof v === 'number');
    if (cs.length === 0 || bs.length === 0) {
      details.push(
        `ok: ${label}: no value on the ${cs.length === 0 ? 'candidate' : 'baseline'} side, not compared`,
      );
      continue;
    }
    const mc = mean(cs);
    const mb = mean(bs);
    const change = mb === 0 ? (mc === 0 ? 0 : Math.sign(mc) * Infinity) : (mc - mb) / Math.abs(mb);
    const up = maxUp !== undefined && change > maxUp && mc - mb > floor;
    const down = maxDown !== undefined && -change > maxDown && mb - mc > floor;
    const avg = cs.length > 1 || bs.length > 1 ? 'mean ' : '';
    let line = `${label}: ${avg}${formatValue(mb, keys)} → ${formatValue(mc, keys)} (${formatChange(change)}), limit ${limit}`;
    let regressed = up || down;
    if (regressed && cs.length >= 2 && bs.length >= 2) {
      const test = welchTTest(cs, bs, up ? 'increase' : 'decrease');
      const significant = test.p < alpha;
      line += `; Welch's t-test p = ${test.p < 0.0001 ? test.p.toExponential(1) : formatNumber(test.p)} (${cs.length} vs ${bs.length} runs) ${significant ? `< ${alpha}: significant` : `>= ${alpha}: not significant, not counted`}`;
      regressed = significant;
    } else if (regressed) {
      line += `; ${cs.length} vs ${bs.length} runs: no significance test (needs 2+ runs on each side)`;
    }
    details.push(`${regressed ? 'BROKEN' : 'ok'}: ${line}`);
    if (regressed) broken.push(line);
  }
  if (broken.length === 0) {
    const only = details.length === 1 ? details[0]?.replace(/^ok: /, '') : undefined;
    return {
      outcome: 'pass',
      message: only ?? `all ${details.length} values within ${limit}`,
      details,
    };
  }
  return {
    outcome: 'fail',
    message:
      details.length === 1
        ? (broken[0] ?? '')
        : `${broken.length} of ${details.length} values regressed: ${broken.slice(0, 3).join('; ')}`,
    details,
  };
}

/**
 * Evaluates `budgets` on the candidate runs (and relative ones against the baseline runs).
 * Also checks that every candidate run completed. Throws an invalid-input ApfbenchError that
 * lists every budget naming a metric that does not exist.
 */
export function evaluateBudgets(
  budgets: readonly Budget[],
  candidates: readonly LoadedRun[],
  baselines: readonly LoadedRun[] = [],
): CheckReport {
  const first = candidates[0];
  if (first === undefined) {
    throw new ApfbenchError('APFBENCH_NO_CANDIDATE', 'no candidate result to check', {
      kind: 'invalid-input',
    });
  }
  if (budgets.length === 0) {
    throw new ApfbenchError('APFBENCH_NO_BUDGETS', 'no budgets to check', {
      kind: 'invalid-input',
      hint: 'Give --budget FILE, or put spec.budgets in the scenario (see docs/ci.md).',
    });
  }
  const ctx: Context = { candidates, baselines, problems: [] };
  const results: BudgetResult[] = [];

  const incomplete = candidates.filter((c) => c.result.status !== 'completed');
  results.push({
    name: 'candidate run completed',
    description: 'status == completed',
    kind: 'status',
    outcome: incomplete.length === 0 ? 'pass' : 'fail',
    message:
      incomplete.length === 0
        ? `${candidates.length === 1 ? 'the run' : `all ${candidates.length} runs`} completed`
        : incomplete
            .map(
              (c) =>
                `${c.source}: ${c.result.status}${c.result.reason === undefined ? '' : ` (${c.result.reason})`}`,
            )
            .join('; '),
    details: candidates.map((c) => `${c.source}: ${c.result.status}`),
  });

  for (const budget of budgets) {
    const description = describeBudget(budget);
    const name = budget.name ?? description;
    let evaluated: Omit<BudgetResult, 'name' | 'description' | 'kind'> | undefined;
    let kind: BudgetResult['kind'];
    if (budget.expr !== undefined) {
      kind = 'absolute';
      const expr = parseExpression(budget.expr);
      if (!expr.ok) {
        ctx.problems.push(`budget "${budget.expr}": ${expr.message}`);
        continue;
      }
      evaluated = evaluateAbsolute(budget, expr.value, ctx);
    } else {
      kind = 'relative';
      const path = parsePath(budget.metric ?? '');
      if (!path.ok) {
        ctx.problems.push(`budget on "${budget.metric ?? ''}": ${path.message}`);
        continue;
      }
      evaluated = evaluateRelative(budget, path.value, ctx);
    }
    if (evaluated !== undefined) results.push({ name, description, kind, ...evaluated });
  }

  if (ctx.problems.length > 0) {
    const count =
      ctx.problems.length === 1 ? 'a budget names' : `${ctx.problems.length} budgets name`;
    throw new ApfbenchError(
      'APFBENCH_UNKNOWN_METRIC',
      `${count} something the results do not have:\n${ctx.problems.map((p) => `  ${p}`).join('\n')}`,
      {
        kind: 'invalid-input',
        hint: 'Paths start with an actor group (or * for all), e.g. tenant.latencyMs.p99; docs/ci.md lists the grammar and docs/result-format.md the fields.',
      },
    );
  }

  const warnings: string[] = [];
  for (const run of [...candidates, ...baselines]) {
    const gen = run.result.generator;
    if (gen.saturated) {
      warnings.push(
        `the load generator was saturated in ${run.source} (${gen.reasons.join('; ') || 'see the result'}): its figures measure apfbench as much as the server`,
      );
    } else if (gen.lagCause === 'host') {
      warnings.push(
        `the host was busy in ${run.source} (${describeLagCause(gen.lagCause, gen.lagEvidence)}): its latencies include that wait`,
      );
    }
    const cost = harnessCostOf(run.result);
    if (cost !== undefined && (cost.costly || cost.contended)) {
      warnings.push(`in ${run.source}, ${cost.text}`);
    }
    if (gen.capped === true) {
      warnings.push(
        `the intended load was not offered in ${run.source} (${(gen.cappedReasons ?? []).join('; ')}): its figures are for the smaller load that was offered`,
      );
    }
  }
  const name = first.result.scenario.metadata.name;
  const others = [...candidates, ...baselines].filter(
    (r) => r.result.scenario.metadata.name !== name,
  );
  if (others.length > 0) {
    warnings.push(
      `not all runs are of scenario ${name}: ${others.map((r) => `${r.source} ran ${r.result.scenario.metadata.name}`).join(', ')}`,
    );
  }

  return {
    scenario: name,
    candidates: candidates.map((c) => c.source),
    baselines: baselines.map((b) => b.source),
    results,
    warnings,
    passed: results.every((r) => r.outcome !== 'fail'),
    timestamp: first.result.endedAt,
  };
}
