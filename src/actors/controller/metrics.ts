import { WatchMetric } from '../informer.js';

/**
 * Counters and histograms of controller groups. A counter name with `/<set>` appended is the
 * same figure for one object set. Histograms are in µs, except `conflicts.retriesPerWrite`,
 * which holds retries + 1 (attempts) per successful write, because HDR histograms start at 1.
 */
export const ControllerMetric = {
  ...WatchMetric,
  /** Event received − the writer's acknowledgement of the write (µs), for events after it. */
  latency: 'watch.latency',
  /** Event received − the write's intended time (µs). */
  latencyFromIntent: 'watch.latencyFromIntent',
  /** Events received before their writer had read its response (not in `latency`). */
  beforeAck: 'watch.beforeAck',
  /** MODIFIED events no apfbench writer recorded within the bound (see LedgerObserver). */
  unmatched: 'watch.unmatched',
  /** Filled in by the coordinator from the write ledger once the run is over. */
  lost: 'watch.lost',
  /** Expected deliveries a relist's LIST covered instead of an event (not lost). */
  coveredByRelist: 'watch.coveredByRelist',
  acknowledged: 'watch.acknowledged',
  expectedDeliveries: 'watch.expectedDeliveries',
  /** PUT attempts. */
  attempts: 'conflicts.attempts',
  count409: 'conflicts.409',
  writes: 'conflicts.writes',
  abandoned: 'conflicts.abandoned',
  /** Reconciles that ended on an error other than a conflict (429 after retries, 5xx, transport). */
  failed: 'conflicts.failed',
  retriesPerWrite: 'conflicts.retriesPerWrite',
  /** Reconcile start (intended) → written, abandoned or failed (µs). */
  reconcileLatency: 'reconcile.latency',
} as const;
