import type { FlowControlNames, Identity, KubeTarget, PoolCount } from '../kube/index.js';
import type { GeneratorHealth, LoopSample } from '../metrics/generator-health.js';
import type { IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import type { WriteLedgerShared } from '../metrics/write-ledger.js';
import type { Scenario } from '../scenario/index.js';

/** One actor instance placed on a worker. */
export interface InstanceAssignment {
  readonly group: string;
  readonly index: number;
  readonly count: number;
  readonly identity: Identity;
}

/** Coordinator → worker. The worker answers `init` with `ready`, then waits for `start`. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly workerIndex: number;
      readonly runId: string;
      readonly labelKey: string;
      readonly scenario: Scenario;
      readonly target: KubeTarget;
      readonly names: ReturnType<FlowControlNames['toJSON']>;
      readonly instances: readonly InstanceAssignment[];
      /**
       * Size of the worker's shared connection pool (RunPlan: in-flight caps plus held watches);
       * h2 divides it by the streams per connection. Per-actor instances have their own.
       */
      readonly connections: number;
      readonly intervalMs: number;
      /** Milliseconds in-flight requests may take to finish after the deadline or a stop. */
      readonly drainMs: number;
      /** The API server's gitVersion (RunInfo.serverVersion). */
      readonly serverVersion?: string;
      /** The run's write ledger: one SharedArrayBuffer, shared (not copied) by postMessage. */
      readonly ledger: WriteLedgerShared;
    }
  /** Start barrier: every worker begins at the same wall-clock instant. */
  | { readonly type: 'start'; readonly startAtEpochMs: number }
  /** Stop early (Ctrl-C): no new sends; drain, then report `done`. */
  | { readonly type: 'stop' };

/** Worker → coordinator: histograms and counters per interval, never a message per request. */
export type FromWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'interval';
      readonly workerIndex: number;
      readonly snapshots: readonly IntervalSnapshot[];
      readonly loop: LoopSample;
    }
  | {
      readonly type: 'done';
      readonly workerIndex: number;
      readonly snapshots: readonly IntervalSnapshot[];
      readonly health: GeneratorHealth;
      /** In-flight requests abandoned when the drain timed out. */
      readonly abandoned: number;
      /** Connections of each of the worker's pools (one message at the end, not per request). */
      readonly connections: readonly PoolCount[];
    }
  | { readonly type: 'failed'; readonly workerIndex: number; readonly message: string };
