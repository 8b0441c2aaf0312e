// An actor group's entry in result.json, from its merged totals. Apart from the coordinator so
// that code which only needs the shape (the budget check before a run) does not load the
// coordinator's worker-thread machinery.
import { definitionOf } from '../actors/index.js';
import { emptyGroupTotals, type GroupTotals } from '../metrics/timeline-aggregator.js';
import type { ActorGroupResult } from './result.js';
import type { ActorGroup } from '../actors/scenario.js';

/**
 * `group`'s result: its request figures from `t` (none measured when undefined) and the sections
 * its actor type adds (actors/index.ts), from its counters with `extraCounters` on top. Pure.
 */
export function groupResult(
  group: ActorGroup,
  t: GroupTotals | undefined,
  extraCounters: Readonly<Record<string, number>> = {},
): ActorGroupResult {
  const totals = t ?? emptyGroupTotals(group.name);
  const {
    completed,
    counters: measuredCounters,
    measures,
    group: _name,
    clamped: _clamped,
    ...requests
  } = totals;
  const counters = { ...measuredCounters, ...extraCounters };
  const sections = definitionOf(group).sections?.({ counters, measures }, group);
  // `definitionOf` loses the link between a type and its sections that `actors` keeps (each
  // type's `sections` returns what its `resultSections` describe): the union is restored here.
  return {
    type: group.type,
    count: group.count,
    ...sections,
    requests: { ...requests, total: completed },
  } as ActorGroupResult;
}
