// The scheduler actor type: create.ts (the instance, its nodes, its result sections), result.ts
// (their schema), schema.ts (its groups in a scenario).
import type { ActorDefinition } from '../actor.js';
import { createScheduler, schedulerSections } from './create.js';
import { schedulerSectionsSchema } from './result.js';
import { schedulerSchema, type SchedulerActorGroup } from './schema.js';

export const scheduler = {
  scenario: schedulerSchema,
  connection: 'per-actor',
  create: createScheduler,
  resultSections: schedulerSectionsSchema,
  sections: schedulerSections,
  connections: (g) => g.maxInFlight,
  // The informer's watch.
  heldConnections: () => 1,
  watches: (s) => [s.scheduling.watch],
} satisfies ActorDefinition<SchedulerActorGroup, typeof schedulerSectionsSchema>;
