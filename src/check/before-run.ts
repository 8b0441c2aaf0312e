// Before a run: budgets that name something no result of the scenario will have, found in a
// second rather than after the load.
import { groupResult } from '../result/group-result.js';
import type { Scenario } from '../actors/scenario.js';
import type { Budget } from '../budget/schema.js';
import { parseExpression } from '../budget/expression.js';
import {
  describeFailure,
  editDistance,
  isCountMap,
  isRootSection,
  parsePath,
  resolvePath,
  type MetricPath,
} from '../budget/path.js';

/**
 * What a run of `scenario` writes under `actors`, measuring nothing: each group's request
 * figures and the sections its actor type adds, built as the coordinator builds them.
 */
export function resultSkeleton(scenario: Scenario): { actors: Record<string, unknown> } {
  return {
    actors: Object.fromEntries(
      scenario.spec.actors.map((group) => [group.name, groupResult(group, undefined)]),
    ),
  };
}

function pathOf(budget: Budget): MetricPath | undefined {
  const parsed =
    budget.expr !== undefined ? parseExpression(budget.expr) : parsePath(budget.metric ?? '');
  if (!parsed.ok) return undefined;
  return 'path' in parsed.value ? parsed.value.path : parsed.value;
}

function unknownGroup(path: MetricPath, group: string, groups: readonly string[]): string {
  const close = groups.filter((g) => editDistance(g, group) <= 3);
  const suggestion =
    close.length > 0
      ? `; did you mean ${close.map((g) => `${g}${path.text.slice(group.length)}`).join(' or ')}?`
      : '';
  return `metric "${path.text}" does not exist: the scenario has no actor group "${group}" (groups: ${groups.join(', ')})${suggestion}`;
}

/**
 * Budgets whose path names something no result of `scenario` will have: a group it lacks, or a
 * field its groups do not write (looked up in `resultSkeleton`). Not checked: the top-level
 * sections (`server`, `fairness`, ... depend on the cluster), and keys under a `by…` mapping
 * (codes, object sets, priority levels: what the run meets).
 */
export function unknownMetricProblems(budgets: readonly Budget[], scenario: Scenario): string[] {
  const groups = scenario.spec.actors.map((a) => a.name);
  const skeleton = resultSkeleton(scenario);
  return budgets.flatMap((budget) => {
    const path = pathOf(budget);
    const first = path?.segments[0];
    if (path === undefined || first === undefined || isRootSection(first)) return [];
    if ('literal' in first && !groups.includes(first.literal)) {
      return [unknownGroup(path, first.literal, groups)];
    }
    const resolved = resolvePath(skeleton, path);
    if (resolved.ok || resolved.failure.at.some(isCountMap)) return [];
    return [describeFailure(path, resolved.failure, skeleton)];
  });
}
