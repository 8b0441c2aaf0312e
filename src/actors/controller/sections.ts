/**
 * The coordinator's side of a controller group: its `watch` and `conflicts` result sections,
 * from the counters and histograms its instances recorded (metrics.ts).
 */
import { createAccumulator, decode, summarizeMs } from '../../metrics/histogram.js';
import type { GroupMeasurements } from '../actor.js';
import { ControllerMetric } from './metrics.js';
import type { ConflictFigures, ControllerSections, RetriesSummary } from './result.js';

/** A histogram of retries + 1 (µs slots used as plain counts), as retries. */
export function retriesSummary(encoded: string | undefined): RetriesSummary {
  if (encoded === undefined || encoded === '') {
    return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  }
  const { hdr } = decode(encoded);
  const at = (p: number) => hdr.getValueAtPercentile(p) - 1;
  return {
    count: hdr.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: hdr.maxValue - 1,
    mean: Math.round((hdr.mean - 1) * 1000) / 1000,
  };
}

/** The `watch` and `conflicts` sections of a controller group's result. */
export function controllerSections(m: GroupMeasurements): ControllerSections {
  const c = (metric: string) => m.counters[metric] ?? 0;
  const empty = summarizeMs(createAccumulator());
  const measure = (metric: string) => m.measures[metric];
  const figures = (suffix: string): ConflictFigures => {
    const attempts = c(ControllerMetric.attempts + suffix);
    const count409 = c(ControllerMetric.count409 + suffix);
    return {
      count409,
      attempts,
      rate: attempts === 0 ? 0 : Math.round((count409 / attempts) * 1e4) / 1e4,
      writes: c(ControllerMetric.writes + suffix),
      abandoned: c(ControllerMetric.abandoned + suffix),
      retriesPerWrite: retriesSummary(measure(ControllerMetric.retriesPerWrite + suffix)?.encoded),
    };
  };
  const sets = new Set<string>();
  for (const key of Object.keys(m.counters)) {
    const prefix = `${ControllerMetric.attempts}/`;
    if (key.startsWith(prefix)) sets.add(key.slice(prefix.length));
  }
  const latency = measure(ControllerMetric.latency);
  const fromIntent = measure(ControllerMetric.latencyFromIntent);
  return {
    watch: {
      events: c(ControllerMetric.events),
      bookmarks: c(ControllerMetric.bookmarks),
      restarts: c(ControllerMetric.restarts),
      relists: c(ControllerMetric.relists),
      failures: c(ControllerMetric.failures),
      lost: c(ControllerMetric.lost),
      coveredByRelist: c(ControllerMetric.coveredByRelist),
      acknowledgedWrites: c(ControllerMetric.acknowledged),
      expectedDeliveries: c(ControllerMetric.expectedDeliveries),
      unmatched: c(ControllerMetric.unmatched),
      beforeAck: c(ControllerMetric.beforeAck),
      latencyMs: latency?.summaryMs ?? empty,
      latencyFromIntentMs: fromIntent?.summaryMs ?? empty,
      latencyHistogram: latency?.encoded ?? '',
      histograms: { latency: latency?.encoded ?? '', latencyFromIntent: fromIntent?.encoded ?? '' },
    },
    conflicts: {
      ...figures(''),
      failed: c(ControllerMetric.failed),
      reconcileLatencyMs: measure(ControllerMetric.reconcileLatency)?.summaryMs ?? empty,
      bySet: Object.fromEntries(
        [...sets].sort((a, b) => Number(a) - Number(b)).map((s) => [s, figures(`/${s}`)]),
      ),
    },
  };
}
