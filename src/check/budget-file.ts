import { z } from 'zod';
import { documentSchema } from '../scenario/fields.js';
import { loadScenarioFile } from '../actors/scenario.js';
import { dnsLabel } from '../validation/fields.js';
import { InvalidFileError, readInputFile, type Problem } from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import { parseYaml } from '../validation/yaml-load.js';
import { budgetsSchema, type Budget } from '../budget/schema.js';

export const budgetFileSchema = documentSchema(
  'Budget',
  dnsLabel,
  z.strictObject({ budgets: budgetsSchema.min(1) }),
).meta({ title: 'apfbench Budget', description: 'Budgets for `apfbench check`.' });

export type BudgetFile = z.output<typeof budgetFileSchema>;

export class BudgetError extends InvalidFileError {
  override readonly name = 'BudgetError';

  constructor(problems: readonly Problem[]) {
    super(
      'APFBENCH_INVALID_BUDGET',
      'budget file',
      problems,
      'A budget is "<path> <op> <value>" or { metric, maxIncrease | maxDecrease }; the grammar is in docs/ci.md.',
    );
  }
}

/** Pure: validates a Budget file's text; `file` is only used in problems. */
export function parseBudgetFile(
  text: string,
  file: string,
): { ok: true; budgets: Budget[] } | { ok: false; problems: Problem[] } {
  const result = validateYaml(budgetFileSchema, text, file);
  return result.ok ? { ok: true, budgets: result.value.spec.budgets } : result;
}

/**
 * The budgets of a file: a `kind: Budget` file, or a scenario's `spec.budgets`. Throws
 * BudgetError (or ScenarioError) listing every problem with its location.
 */
export async function loadBudgets(file: string): Promise<Budget[]> {
  const read = await readInputFile(file);
  if (!read.ok) throw new BudgetError(read.problems);
  const { text } = read;
  // A file that does not parse is reported, with its location, by parseBudgetFile.
  const parsed = parseYaml(text, file);
  if (parsed.ok && parsed.doc.get('kind') === 'Scenario') {
    const scenario = await loadScenarioFile(file);
    const budgets = scenario.spec.budgets ?? [];
    if (budgets.length === 0) {
      throw new BudgetError([
        { file, line: 0, column: 0, path: 'spec.budgets', message: 'the scenario has no budgets' },
      ]);
    }
    return budgets;
  }
  const budgets = parseBudgetFile(text, file);
  if (!budgets.ok) throw new BudgetError(budgets.problems);
  return budgets.budgets;
}
