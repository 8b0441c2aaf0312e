import type { PlacedInstance } from './plan.js';
import type { FromWorker, ToWorker } from './protocol.js';

/**
 * What runScenario drives: a local worker thread (a node:worker_threads Worker is one as it is)
 * or a worker thread of a remote agent, whose messages its agent relays. Either answers `init`
 * with `ready`, starts on `start`, stops on `stop`, and posts `interval`s, then `done` or
 * `failed`; 'exit' means it is gone (after `done`, or instead of it).
 */
export interface WorkerHandle {
  postMessage(message: ToWorker): void;
  on(event: 'message', listener: (m: FromWorker) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (m: FromWorker) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  terminate(): Promise<unknown>;
}

/**
 * Where a run's workers are, when not on this machine's threads by the run plan: each worker's
 * instances and connection-pool size, in worker-index order, and a handle for each index.
 */
export interface WorkerPlacement {
  readonly shards: readonly (readonly PlacedInstance[])[];
  readonly connections: readonly number[];
  spawn(workerIndex: number): WorkerHandle;
}
