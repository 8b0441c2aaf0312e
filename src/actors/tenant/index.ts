// The tenant actor type: create.ts (the instance, its schedule, expected requests), schema.ts
// (its groups in a scenario).
import { z } from 'zod';
import type { ActorDefinition } from '../actor.js';
import { createTenant, tenantExpectedRequests } from './create.js';
import { tenantSchema, type TenantActorGroup } from './schema.js';

export { tenantBodies, tenantPatch, tenantSchedule } from './create.js';
export type { MixEntry, TenantActorGroup } from './schema.js';

export const tenant = {
  scenario: tenantSchema,
  create: createTenant,
  resultSections: z.object({}),
  expectedRequests: tenantExpectedRequests,
} satisfies ActorDefinition<TenantActorGroup>;
