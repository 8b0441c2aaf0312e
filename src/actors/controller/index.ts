/**
 * The controller actor type. Worker side: create.ts (with context.ts, watch.ts, reconcile.ts).
 * Coordinator side: sections.ts, placement.ts (expected writes) and the ledger counters below.
 */
import { controllerExpectedRequests } from './expected.js';
import type { ActorDefinition } from '../actor.js';
import { createController } from './create.js';
import { ControllerMetric } from './metrics.js';
import { controllerExpectedWrites, controllerPlacement } from './placement.js';
import { controllerSectionsSchema } from './result.js';
import { controllerSchema, type ControllerActorGroup } from './schema.js';
import { controllerSections } from './sections.js';

export { ControllerMetric } from './metrics.js';
export { controllerExpectedWrites, controllerPlacement } from './placement.js';
export { controllerSections } from './sections.js';
export type { ControllerSections } from './result.js';
export type { ControllerActorGroup } from './schema.js';

export const controller = {
  scenario: controllerSchema,
  connection: 'per-actor',
  create: createController,
  expectedRequests: controllerExpectedRequests,
  resultSections: controllerSectionsSchema,
  sections: controllerSections,
  // Lost events are known only once every watcher is done, from the ledger.
  ledgerCounters: (written) => ({
    [ControllerMetric.lost]: written.lost,
    [ControllerMetric.coveredByRelist]: written.coveredByRelist,
    [ControllerMetric.acknowledged]: written.acknowledged,
    [ControllerMetric.expectedDeliveries]: written.expectedDeliveries,
  }),
  expectedWrites: controllerExpectedWrites,
  // An object set's writers and watchers meet in the ledger: one agent runs the whole set.
  shareKey: (g, index) => controllerPlacement(g, index).set,
  connections: (g) => g.maxInFlight,
  // The informer's watch.
  heldConnections: () => 1,
  watches: (s) => [s.watch],
} satisfies ActorDefinition<ControllerActorGroup, typeof controllerSectionsSchema>;
