import type { z } from 'zod';
import type { Clock } from '../timing/clock.js';
import type { Rng } from '../timing/random.js';
import type { FlowControlNames, KubeClient } from '../kube/index.js';
import type { GroupTotals } from '../metrics/timeline-aggregator.js';
import type { GroupIntervalCollector } from '../metrics/timeline-collector.js';
import type { HeartbeatsSection } from '../metrics/heartbeats.js';
import type { LedgerTagFigures, WriteLedger } from '../metrics/write-ledger.js';
import type {
  ActorGroupBase,
  ActorGroupSchema,
  ConnectionMode,
  ScenarioOf,
} from '../scenario/index.js';

/** Facts about the run every actor needs: where objects go and how they are labelled. */
export interface RunInfo {
  readonly id: string;
  /** The scenario, read as any scenario: an actor knows its own group's type and no other. */
  readonly scenario: ScenarioOf<ActorGroupBase>;
  /** Every object apfbench creates carries `labelKey: id`, so cleanup can find it. */
  readonly labelKey: string;
  /** The API server's gitVersion, when known (kubelets report it as their version). */
  readonly serverVersion?: string;
}

/** Label on everything a run creates; its value is the run id. */
export const RUN_LABEL = 'apfbench.dev/run';

/** What an actor instance gets from its worker. One context per instance. */
export interface ActorContext {
  /** A client on the worker's shared connection pool, as this instance's identity. */
  readonly client: KubeClient;
  readonly names: FlowControlNames;
  /** Where this instance's group records; shared by the group's instances in the worker. */
  readonly collector: GroupIntervalCollector;
  /** This instance's own random stream. */
  readonly rng: Rng;
  readonly clock: Clock;
  /** Clock time of the run start; schedule times are relative to it. */
  readonly originMs: number;
  /** Run-relative ms after which no new send starts. */
  readonly deadlineMs: number;
  /** Aborted on Ctrl-C or when the coordinator stops the run early. */
  readonly signal: AbortSignal;
  readonly run: RunInfo;
  /**
   * The run's write ledger, shared by every worker: writers record acknowledged writes, watchers
   * match their events (watch latency, lost events). Absent outside the engine (unit tests).
   */
  readonly ledger?: WriteLedger;
}

export interface ActorInstance {
  readonly index: number;
  /** Instances of this group over all workers. */
  readonly count: number;
}

/**
 * One simulated client. `run` sends on its open-loop schedule until the
 * deadline or abort, then resolves once its in-flight requests have settled.
 * It never rejects: failures are outcomes to record, not exceptions.
 */
export interface Actor {
  run(): Promise<void>;
}

export type ActorFactory<G extends ActorGroupBase> = (
  group: G,
  instance: ActorInstance,
  ctx: ActorContext,
) => Actor;

/** A group's merged actor-specific measurements (see GroupIntervalCollector.count/observe). */
export type GroupMeasurements = Pick<GroupTotals, 'counters' | 'measures'>;

/** A watch as a group's result reports it, for the run's watch totals in a report. */
export interface WatchFigures {
  readonly events: number;
  readonly restarts: number;
  readonly relists: number;
  /**
   * Events expected (caused by apfbench's own writes) but seen neither as an event nor in a
   * relist's LIST; absent: none expected.
   */
  readonly lost?: number;
  /** Expected events that came as no event but in a relist's LIST (not lost); absent: not counted. */
  readonly coveredByRelist?: number | undefined;
  /** Encoded µs histogram of event received − write acknowledged; absent: not measured. */
  readonly latencyHistogram?: string;
}

/**
 * Everything apfbench knows about one actor type: its folder's index.ts exports it, and one line
 * in the registry (index.ts) adds it. `G` is its group as parsed from a scenario, `S` the
 * schema of the sections it adds to its group's result.
 */
export interface ActorDefinition<G extends ActorGroupBase, S extends z.ZodObject = z.ZodObject> {
  /**
   * The schema of a group of this type in a scenario file (`spec.actors[i]`): its fields, their
   * defaults and units, and its located rules, with `type: z.literal('<type>')`. The scenario
   * (scenario.ts) is the union of every registered type's.
   */
  readonly scenario: z.ZodType<G> & ActorGroupSchema;
  /** Builds one instance; called in a worker thread, once per instance, before the start barrier. */
  readonly create: ActorFactory<G>;
  /**
   * The sections this type adds to its group's result (`heartbeats`, `watch`, `conflicts`, ...),
   * beside `type`, `count` and `requests`: what `sections` returns, and what a reader of
   * result.json gets for a group of this type. Omitted: the type adds none (and has no
   * `sections`).
   */
  readonly resultSections?: S;
  /**
   * Turns the group's merged counters and histograms into its result sections. Pure; called
   * once, on the coordinator. Omitted: the type adds none.
   */
  readonly sections?: (m: GroupMeasurements, group: G) => z.output<S>;
  /**
   * The group's counters from the run's write ledger (`watch.lost`, ...), given the ledger's
   * figures for the writes the group tagged, once every worker is done. They are added to its
   * measured counters before `sections`. Pure; on the coordinator. Omitted: the type writes none.
   */
  readonly ledgerCounters?: (
    written: Readonly<LedgerTagFigures>,
    group: G,
  ) => Record<string, number>;
  /**
   * Writes the group records in the run's write ledger over `durationMs` (its mean, for Poisson
   * schedules), so the coordinator can size the ledger. Pure. Omitted: the type records none.
   */
  readonly expectedWrites?: (group: G, durationMs: number) => number;
  /**
   * Instances that share state through the run's write ledger (its barrier counters, each
   * other's writes) share a key; a distributed run places instances with the same key on one
   * agent, whose ledger they then share (engine/plan.ts agentOf). Pure. Omitted: each instance
   * shares nothing, and its index is its key.
   */
  readonly shareKey?: (group: G, index: number) => number;
  /**
   * Requests the group is expected to send on its own schedule with an intended time before
   * `untilMs` ms of the run, for the run plan. Pure. Omitted: the type only answers other groups
   * (a scheduler binds the pods others create), and the plan says so.
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
   * The watches a group's result sections report, for the run's watch totals (report/totals.ts).
   * Pure. Omitted: the type watches nothing.
   */
  readonly watches?: (sections: z.output<S>) => readonly WatchFigures[];
  /**
   * The Lease heartbeats a group's result sections report, one node per instance, for the run's
   * heartbeat totals (report/totals.ts). Pure. Omitted: the type's instances are not nodes.
   */
  readonly heartbeats?: (sections: z.output<S>) => HeartbeatsSection;
  /**
   * Groups the instances' users belong to, when they are impersonated (see IdentityResolver):
   * the same for every group of the type, or each group's own (a replay's recorded groups).
   * Omitted: the tenants' group.
   */
  readonly identityGroups?: readonly string[] | ((group: G) => readonly string[]);
  /**
   * The default of the `transport` block's `connection` for this type: `per-actor` for a
   * component that is one process with its own connection in a real cluster. Omitted: `shared`.
   */
  readonly connection?: ConnectionMode;
}
