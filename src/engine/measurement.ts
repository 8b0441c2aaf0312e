import type { KubeClient } from '../kube/index.js';
import type { LoopSample } from '../metrics/generator-health.js';
import type { IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import type { RunResult } from '../result/result.js';

/** What a measurement gets before the load starts. */
export interface MeasurementStart {
  /** system:masters; never used for load. */
  readonly admin: KubeClient;
}

/** One message of one worker while the load runs: what it saw since its previous message. */
export interface MeasurementInterval {
  readonly workerIndex: number;
  /** One per actor group and interval (its final message may carry the last two intervals). */
  readonly snapshots: readonly IntervalSnapshot[];
  /** The worker's event loop over its last interval; absent in its final message. */
  readonly loop?: LoopSample | undefined;
}

/** What a measurement gets once the load is over. */
export interface MeasurementFinish {
  /**
   * The result so far: the run's own fields and the sections of the measurements before this
   * one in the coordinator's list (`cleanup` is not done yet, and `endedAt` is provisional).
   */
  readonly result: RunResult;
}

/**
 * Something measured beside the actors that adds sections `S` to result.json. The coordinator
 * holds a typed list of them and calls, for each in list order:
 * - `start` once, after the fixtures exist and before the workers spawn. It may block (the load
 *   waits for it, so it should not take long) and must not reject: a measurement that cannot
 *   start says so in its sections.
 * - `interval`, if it has one, for every worker message (each interval's, then the final one),
 *   right after the coordinator merged it. It runs on the coordinator's event loop between
 *   merges, so it must not block or throw; it sees every snapshot the result is made of.
 * - `finish` once, after every worker is done, also after a failed or aborted run, before the
 *   run's objects are deleted (so nothing of the cleanup shows). It may block and must not
 *   reject. It returns the sections it adds (merged over the result so far, so a later
 *   measurement sees them), or undefined to add none. It is called even when `start` was not
 *   (the run failed before the load): it then adds what it can without having started.
 */
export interface Measurement<S extends Partial<RunResult>> {
  start(ctx: MeasurementStart): Promise<void>;
  interval?(ctx: MeasurementInterval): void;
  finish(ctx: MeasurementFinish): Promise<S | undefined>;
}

/** Any measurement, for the coordinator's list (each one's sections are typed at its creation). */
export type AnyMeasurement = Measurement<Partial<RunResult>>;
