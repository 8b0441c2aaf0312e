import type { ActorGroupBase, ScenarioOf } from '../scenario/index.js';

type Scenario = ScenarioOf<ActorGroupBase>;

/**
 * Shared counters of the run's write ledger, which actors use as barriers across workers. Every
 * group owns two per instance, groups in scenario order: always enough for a pair per instance
 * or per object set, and laid out without asking any actor type.
 */
export function ledgerCounterSlots(scenario: Scenario): number {
  return 2 * scenario.spec.actors.reduce((n, g) => n + g.count, 0);
}

/** The first of the `2 × count` counters group `groupName` owns (see ledgerCounterSlots). */
export function ledgerCounterBase(scenario: Scenario, groupName: string): number {
  let base = 0;
  for (const g of scenario.spec.actors) {
    if (g.name === groupName) break;
    base += 2 * g.count;
  }
  return base;
}
