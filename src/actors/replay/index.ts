// The replay actor type: one recorded flow of an audit log (docs/replay.md). create.ts (the
// instance, its schedule, expected requests), schema.ts (its groups in a scenario, as
// `apfbench scenario from-audit` writes them).
import type { ActorDefinition } from '../actor.js';
import { createReplay, replayExpectedRequests } from './create.js';
import { replaySchema, type ReplayActorGroup } from './schema.js';

export const replay = {
  scenario: replaySchema,
  create: createReplay,
  expectedRequests: replayExpectedRequests,
  // Each WATCH holds a connection for its duration, beside the requests in flight.
  connections: (group) => group.maxInFlight,
  identityGroups: (group) => group.groups,
} satisfies ActorDefinition<ReplayActorGroup>;
