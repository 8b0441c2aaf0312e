export { loadBudgets, parseBudgetFile, BudgetError, budgetFileSchema } from './budget-file.js';
export { budgetsSchema, type Budget } from '../budget/schema.js';
export {
  evaluateBudgets,
  describeBudget,
  type BudgetResult,
  type CheckReport,
  type Outcome,
} from './evaluate.js';
export { parseExpression, type Expression } from '../budget/expression.js';
export { renderJUnit } from './junit.js';
export { renderCheckMarkdown } from './markdown.js';
export { parsePath, resolvePath, type MetricPath } from '../budget/path.js';
export { loadRuns, type LoadedRun } from './results.js';
