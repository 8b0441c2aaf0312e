import type { KubeClient } from '../kube/index.js';
import type { MergedRun } from '../metrics/timeline-aggregator.js';
import type { RunResult } from '../result/result.js';
import type { WorkerReport } from './protocol.js';

/** What a measurement gets before the load starts. */
export interface MeasurementStart {
  /** system:masters; never used for load. */
  readonly admin: KubeClient;
}

/** Result fields that only measurements add; the coordinator fills every other one itself. */
export type MeasuredField =
  | 'generator'
  | 'targetHealth'
  | 'server'
  | 'serverError'
  | 'fairness'
  | 'clientConnections'
  | 'webhooks';

/** The fields the coordinator fills before any measurement finishes. */
export type RunFields = Omit<RunResult, MeasuredField>;

/** A result as a measurement's `finish` sees it: the run's fields and earlier ones' sections. */
export type ResultSoFar = RunFields & Partial<RunResult>;

/** What a measurement gets once the load is over. */
export interface MeasurementFinish {
  /**
   * The result so far: the run's own fields and the sections of the measurements before this
   * one in the coordinator's list (`cleanup` is not done yet, and `endedAt` is provisional).
   */
  readonly result: ResultSoFar;
  /**
   * The measured window (after the warm-up), merged over workers: each group's totals with the
   * counters and histograms its sections are made from, and the window's timeline rows (the
   * result's `timeline` has the warm-up's too).
   */
  readonly measured: MergedRun;
}

/**
 * Something measured beside the actors that adds sections `S` to result.json (or replaces fields
 * the coordinator filled). The coordinator holds a typed list of them and calls, for each in list
 * order:
 * - `start` once, after the fixtures exist and before the workers spawn. It may block (the load
 *   waits for it, so it should not take long) and must not reject: a measurement that cannot
 *   start says so in its sections. Omitted: nothing to start.
 * - `interval` for each message a worker sends with interval snapshots, as it arrives: a
 *   worker's `interval` report every interval, then its `done` report (the last, partial
 *   interval and the worker's own figures over the run). Reports of different workers
 *   interleave, and a failed worker sends no `done`. It runs on the coordinator's event loop
 *   while the load runs, so it must not block or throw. Omitted: the reports do not concern it.
 * - `finish` once, after every worker is done, also after a failed or aborted run, before the
 *   run's objects are deleted (so nothing of the cleanup shows). It may block and must not
 *   reject. It returns the sections it adds, merged over the result so far, so that a later
 *   measurement sees them (an empty object adds none). It is called even when `start` was not
 *   (the run failed before the load): it then adds what it can without having started.
 */
export interface Measurement<S extends Partial<RunResult>> {
  start?(ctx: MeasurementStart): Promise<void>;
  interval?(report: WorkerReport): void;
  finish(ctx: MeasurementFinish): Promise<S>;
}

/** Any measurement, for the coordinator's list (each one's sections are typed at its creation). */
export type AnyMeasurement = Measurement<Partial<RunResult>>;

/** What the measurements of list `L` add, together. */
export type SectionsOf<L extends readonly unknown[]> = L extends readonly [
  Measurement<infer S>,
  ...infer Rest,
]
  ? S & SectionsOf<Rest>
  : unknown;

/** Starts each measurement, in list order, one after the other. */
export async function startMeasurements(
  list: readonly AnyMeasurement[],
  ctx: MeasurementStart,
): Promise<void> {
  for (const m of list) await m.start?.(ctx);
}

/** Hands a worker's report to each measurement, in list order. */
export function reportToMeasurements(list: readonly AnyMeasurement[], report: WorkerReport): void {
  for (const m of list) m.interval?.(report);
}

/**
 * Finishes each measurement, in list order, each one's sections merged over `run` and the
 * sections before it: the result with every section of the list.
 */
export async function finishMeasurements<const L extends readonly AnyMeasurement[]>(
  list: L,
  measured: MergedRun,
  run: RunFields,
): Promise<RunFields & SectionsOf<L>> {
  let result: ResultSoFar = run;
  for (const m of list) result = { ...result, ...(await m.finish({ result, measured })) };
  // Each measurement of L added its S above.
  return result as RunFields & SectionsOf<L>;
}
