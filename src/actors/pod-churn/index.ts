// The pod-churn actor type: create.ts (the instance, its schedule, expected requests), schema.ts
// (its groups in a scenario).
import type { ActorDefinition } from '../actor.js';
import { createPodChurn, podChurnExpectedRequests } from './create.js';
import { podChurnSchema, type PodChurnActorGroup } from './schema.js';

export const podChurn = {
  scenario: podChurnSchema,
  create: createPodChurn,
  expectedRequests: podChurnExpectedRequests,
} satisfies ActorDefinition<PodChurnActorGroup>;
