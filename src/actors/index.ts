import { kubeletSections } from '../metrics/heartbeats.js';
import type { GroupTotals } from '../metrics/timeline.js';
import type { ActorGroup } from '../scenario/index.js';
import type { ActorFactory } from './actor.js';
import { controllerExpectedWrites, controllerSections, createController } from './controller.js';
import {
  controllerExpectedRequests,
  kubeletExpectedRequests,
  podChurnExpectedRequests,
  tenantExpectedRequests,
} from './expected.js';
import { createKubelet } from './kubelet.js';
import { createPodChurn } from './pod-churn.js';
import { createScheduler, schedulerSections } from './scheduler.js';
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
  /**
   * Writes the group records in the run's write ledger over `durationMs` (its mean, for Poisson
   * schedules), so the coordinator can size the ledger. Pure. Omitted: the type records none.
   */
  readonly expectedWrites?: (group: G, durationMs: number) => number;
  /**
   * Requests the group is expected to send on its own schedule with an intended time before
   * `untilMs` ms of the run (see expected.ts), for the run plan. Pure. Omitted: the type only
   * answers other groups (a scheduler binds the pods others create), and the plan says so.
   */
  readonly expectedRequests?: (group: G, untilMs: number) => number;
  /**
   * Connections one instance needs at most (requests in flight plus long-lived watches), for the
   * worker's connection pool. Omitted: `maxInFlight` when the group has one, else 4.
   */
  readonly connections?: (group: G) => number;
  /**
   * Connections one instance holds for the whole run (its watches), added to the worker's pool
   * beyond the in-flight cap. Omitted: none, or counted in `connections`.
   */
  readonly heldConnections?: (group: G) => number;
  /**
   * Groups the instances' users belong to, when they are impersonated (see IdentityResolver).
   * Omitted: the tenants' group.
   */
  readonly identityGroups?: readonly string[];
}

type Definitions = {
  readonly [K in ActorGroup['type']]: ActorDefinition<Extract<ActorGroup, { type: K }>>;
};

/** Every actor type, keyed by the scenario's `type`: a plain typed map, no registration side effects. */
export const actors: Definitions = {
  tenant: { create: createTenant, expectedRequests: tenantExpectedRequests },
  kubelet: {
    create: createKubelet,
    sections: (m, g) => ({ ...kubeletSections(m, g) }),
    expectedRequests: kubeletExpectedRequests,
    // The lease and status loops send one request at a time; pod status reports up to maxInFlight.
    connections: (g) => 2 + (g.podChurn ? g.maxInFlight : 0),
    heldConnections: (g) => (g.watchPods ? 1 : 0),
    identityGroups: ['system:nodes'],
  },
  controller: {
    create: createController,
    sections: (m) => ({ ...controllerSections(m) }),
    expectedWrites: controllerExpectedWrites,
    expectedRequests: controllerExpectedRequests,
    connections: (g) => g.maxInFlight,
    // The informer's watch.
    heldConnections: () => 1,
  },
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
  return actors[group.type] as unknown as ActorDefinition<ActorGroup>;
}
