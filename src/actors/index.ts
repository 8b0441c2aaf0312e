import { z } from 'zod';
import type { ActorGroup } from '../scenario/index.js';
import type { ActorDefinition } from './actor.js';
import { controller } from './controller/index.js';
import { kubelet } from './kubelet/index.js';
import { createPodChurn, podChurnExpectedRequests } from './pod-churn.js';
import { createScheduler, schedulerSections } from './scheduler.js';
import { schedulerSectionsSchema } from './scheduler-result.js';
import { createTenant, tenantExpectedRequests } from './tenant.js';

export * from './actor.js';
export { ledgerCounterSlots } from './ledger-counters.js';

type Definitions = {
  readonly [K in ActorGroup['type']]: ActorDefinition<Extract<ActorGroup, { type: K }>>;
};

const noSections = z.object({});

/**
 * Every actor type, keyed by the scenario's `type`: a plain typed map, no registration side
 * effects. Checked against `Definitions` but not widened to it, so that each type's
 * `resultSections` keeps its own schema for the result format to compose.
 */
export const actors = {
  tenant: {
    create: createTenant,
    resultSections: noSections,
    expectedRequests: tenantExpectedRequests,
  },
  kubelet,
  controller,
  scheduler: {
    create: createScheduler,
    resultSections: schedulerSectionsSchema,
    sections: schedulerSections,
    connections: (g) => g.maxInFlight,
    heldConnections: () => 1,
  },
  'pod-churn': {
    create: createPodChurn,
    resultSections: noSections,
    expectedRequests: podChurnExpectedRequests,
  },
} satisfies Definitions;

/** The `type` of an actor group. */
export type ActorType = keyof typeof actors;

/** The definition for a group, typed loosely for code that handles every type alike. */
export function definitionOf(group: ActorGroup): ActorDefinition<ActorGroup> {
  // Sound because callers hand the definition only `group` itself, whose type is the key; no
  // generic lookup can say so, as TypeScript does not correlate the union with the map's entry.
  return actors[group.type] as unknown as ActorDefinition<ActorGroup>;
}
