import type { Clock } from '../timing/clock.js';
import type { Rng } from '../timing/random.js';
import type { FlowControlNames, KubeClient } from '../kube/index.js';
import type { GroupIntervalCollector } from '../metrics/timeline-collector.js';
import type { WriteLedger } from '../metrics/write-ledger.js';
import type { ActorGroup, Scenario } from '../scenario/index.js';

/** Facts about the run every actor needs: where objects go and how they are labelled. */
export interface RunInfo {
  readonly id: string;
  readonly scenario: Scenario;
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

export type ActorFactory<G extends ActorGroup> = (
  group: G,
  instance: ActorInstance,
  ctx: ActorContext,
) => Actor;
