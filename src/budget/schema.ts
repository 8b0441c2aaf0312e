// The budgets list, as written in a scenario (`spec.budgets`) or a `kind: Budget` file.
// Validation parses every expression and path, but the output is the input as written (plus
// nothing): a result carries its scenario, and budgets read back from a result must validate
// again the same way. The evaluator compiles them (see evaluate.ts).
import { z } from 'zod';
import { withRule } from '../validation/fields.js';
import { parseExpression, parsePercent } from './expression.js';
import { parsePath } from './path.js';

const percent = z
  .string('must be a percentage such as 15%')
  .refine((s) => parsePercent(s) !== undefined, 'must be a percentage such as 15%');

export const AGGREGATES = ['each', 'median', 'mean', 'min', 'max'] as const;

const budgetObject = withRule(
  z.strictObject({
    name: z
      .string()
      .min(1)
      .describe('Shown in reports and as the JUnit test case name.')
      .optional(),
    expr: z
      .string()
      .describe('Absolute limit: <path> <op> <value>, e.g. tenant.latencyMs.p99 < 500.')
      .optional(),
    over: z
      .enum(AGGREGATES)
      .describe(
        'With several candidate runs: each (default, every run must hold), or the median, mean, min or max of the runs.',
      )
      .optional(),
    metric: z
      .string()
      .describe('Relative limit against a baseline: the metric path it applies to.')
      .optional(),
    maxIncrease: percent
      .describe('The metric may not grow by more than this, e.g. 15%.')
      .optional(),
    maxDecrease: percent
      .describe('The metric may not shrink by more than this, e.g. 10%.')
      .optional(),
    minChange: z
      .number()
      .min(0)
      .describe('Changes smaller than this, in the metric’s unit, never count (a noise floor).')
      .optional(),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .describe('Significance level of the test when both sides have repeats (default 0.05).')
      .optional(),
  }),
  (budget, valid, report) => {
    if (budget.expr === undefined && budget.metric === undefined) {
      report([], 'needs either expr (an absolute limit) or metric (a limit against a baseline)');
      return;
    }
    if (budget.expr !== undefined && budget.metric !== undefined) {
      report(['metric'], 'cannot be combined with expr; give one of them');
      return;
    }
    if (budget.expr !== undefined) {
      if (valid('expr')) {
        const parsed = parseExpression(budget.expr);
        if (!parsed.ok) report(['expr'], parsed.message);
      }
      for (const field of ['maxIncrease', 'maxDecrease', 'minChange', 'alpha'] as const) {
        if (budget[field] !== undefined) report([field], 'only allowed with metric');
      }
      return;
    }
    if (budget.metric !== undefined && valid('metric')) {
      const parsed = parsePath(budget.metric);
      if (!parsed.ok) report(['metric'], parsed.message);
    }
    if (budget.over !== undefined) report(['over'], 'only allowed with expr');
    if (budget.maxIncrease === undefined && budget.maxDecrease === undefined) {
      report([], 'needs maxIncrease or maxDecrease (or both) with metric');
    }
  },
);

/** One budget: a string is shorthand for `{ expr: <string> }`. */
export const budgetSchema = z
  .preprocess((v) => (typeof v === 'string' ? { expr: v } : v), budgetObject)
  .meta({
    // Editors: a string (an expression) or the mapping form.
    type: ['string', 'object'] as unknown as 'object',
    description:
      'An absolute limit ("tenant.latencyMs.p99 < 500", or { name, expr, over }) or a limit against a baseline ({ name, metric, maxIncrease, maxDecrease, minChange, alpha }). See docs/ci.md.',
  });

export const budgetsSchema = z
  .array(budgetSchema)
  .describe('Limits that `apfbench check` and `run --check` enforce on the result.');

export type Budget = z.output<typeof budgetSchema>;
