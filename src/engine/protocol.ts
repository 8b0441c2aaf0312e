import type { FlowControlNames, Identity, KubeTarget, PoolCount } from '../kube/index.js';
import type { GeneratorHealth, LoopSample } from '../metrics/generator-health.js';
import type { ProcessCost } from '../metrics/process-cost.js';
import type { Stall } from '../metrics/stalls.js';
import type { ThreadCpu } from '../metrics/thread-cpu.js';
import type { IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import type { LedgerScan, WriteLedgerShared } from '../metrics/write-ledger.js';
import type { Scenario } from '../actors/scenario.js';

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
      /** The current token of each refreshable credential the instances' identities name. */
      readonly tokens: Readonly<Record<string, string>>;
    }
  /** A refreshable credential's new token: requests from now on carry it. */
  | { readonly type: 'token'; readonly credential: string; readonly token: string }
  /** Start barrier: every worker begins at the same wall-clock instant. */
  | { readonly type: 'start'; readonly startAtEpochMs: number }
  /** Stop early (Ctrl-C): no new sends; drain, then report `done`. */
  | { readonly type: 'stop' };

/** The `init` message: everything a worker needs before the start barrier. */
export type WorkerInit = Extract<ToWorker, { type: 'init' }>;

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
      readonly connections?: readonly PoolCount[];
      /** The worker thread's CPU after the warm-up; absent where unreadable (not Linux). */
      readonly measuredCpu?: ThreadCpu;
      /** The worker thread's worst event-loop block and its phase; absent when none. */
      readonly worstStall?: Stall;
      /**
       * A remote worker's whole agent process, on one `done` of each agent (its last): local
       * workers share the coordinator's process, which it measures itself.
       */
      readonly agentProcess?: ProcessCost;
      /**
       * A remote worker's agent's own write ledger, scanned once all that agent's workers were
       * done: on its last `done` only. A local worker's writes are in the coordinator's ledger.
       */
      readonly ledger?: LedgerScan;
    }
  | { readonly type: 'failed'; readonly workerIndex: number; readonly message: string }
  /** A request with this token of a refreshable credential was answered 401 (once per token). */
  | { readonly type: 'unauthorized'; readonly credential: string; readonly token: string }
  /**
   * A remote worker whose agent was lost (worker-handle.ts): it will send nothing more, and the
   * others go on; the run ends `partial`. A local worker never sends it.
   */
  | { readonly type: 'lost'; readonly workerIndex: number; readonly message: string };

/** A worker's message that carries interval snapshots: every interval, then once at the end. */
export type WorkerReport = Extract<FromWorker, { type: 'interval' | 'done' }>;
