// The tenant actor type: create.ts (the instance, its schedule, expected requests), schema.ts
// (its groups in a scenario).
import type { ActorDefinition } from '../actor.js';
import { createTenant, tenantExpectedRequests } from './create.js';
import { tenantSchema, type TenantActorGroup } from './schema.js';

export const tenant = {
  scenario: tenantSchema,
  create: createTenant,
  expectedRequests: tenantExpectedRequests,
} satisfies ActorDefinition<TenantActorGroup>;
