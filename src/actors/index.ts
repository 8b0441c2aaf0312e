import type { ActorGroup } from '../scenario/index.js';
import type { ActorFactory } from './actor.js';
import { createTenant } from './tenant.js';

export * from './actor.js';

/** Every actor type, keyed by the scenario's `type`; a plain typed map, no registration side effects. */
export const actors: { [K in ActorGroup['type']]: ActorFactory<Extract<ActorGroup, { type: K }>> } =
  {
    tenant: createTenant,
  };
