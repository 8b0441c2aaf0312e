import type { GroupTotals } from '../metrics/timeline.js';
import type { ActorGroup } from '../scenario/index.js';
import type { ActorFactory } from './actor.js';
import { createTenant } from './tenant.js';

export * from './actor.js';

/** A group's merged actor-specific measurements (see GroupIntervalCollector.count/observe). */
export type GroupMeasurements = Pick<GroupTotals, 'counters' | 'measures'>;

/** Everything apfbench knows about one actor type. */
export interface ActorDefinition<G extends ActorGroup> {
  /** Builds one instance; called in a worker thread, once per instance, before the start barrier. */
  readonly create: ActorFactory<G>;
  /**
   * Turns the group's merged counters and histograms into the sections this type adds to its
   * result (`heartbeats`, `watch`, `conflicts`, ...). Pure; called once, on the coordinator.
   */
  readonly sections?: (m: GroupMeasurements, group: G) => Record<string, unknown>;
}

type Definitions = {
  readonly [K in ActorGroup['type']]: ActorDefinition<Extract<ActorGroup, { type: K }>>;
};

/** Every actor type, keyed by the scenario's `type`: a plain typed map, no registration side effects. */
export const actors: Definitions = {
  tenant: { create: createTenant },
};

/** The definition for a group, typed loosely for code that handles every type alike. */
export function definitionOf(group: ActorGroup): ActorDefinition<ActorGroup> {
  return actors[group.type] as unknown as ActorDefinition<ActorGroup>;
}
