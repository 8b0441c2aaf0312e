import type { ActorGroup } from '../scenario/index.js';
import type { ActorDefinition } from './actor.js';
import { controller } from './controller/index.js';
import { kubelet } from './kubelet/index.js';
import { createPodChurn, podChurnExpectedRequests } from './pod-churn.js';
import { createScheduler, schedulerSections } from './scheduler.js';
import { createTenant, tenantExpectedRequests } from './tenant.js';

export * from './actor.js';
export { ledgerCounterSlots } from './ledger-counters.js';

type Definitions = {
  readonly [K in ActorGroup['type']]: ActorDefinition<Extract<ActorGroup, { type: K }>>;
};

/** Every actor type, keyed by the scenario's `type`: a plain typed map, no registration side effects. */
export const actors: Definitions = {
  tenant: { create: createTenant, expectedRequests: tenantExpectedRequests },
  kubelet,
  controller,
  scheduler: {
    create: createScheduler,
    sections: (m) => ({ ...schedulerSections(m) }),
    connections: (g) => g.maxInFlight,
    heldConnections: () => 1,
  },
  'pod-churn': { create: createPodChurn, expectedRequests: podChurnExpectedRequests },
};

/** The definition for a group, typed loosely for code that handles every type alike. */
export function definitionOf(group: ActorGroup): ActorDefinition<ActorGroup> {
  // Sound because callers hand the definition only `group` itself, whose type is the key; no
  // generic lookup can say so, as TypeScript does not correlate the union with the map's entry.
  return actors[group.type] as unknown as ActorDefinition<ActorGroup>;
}
