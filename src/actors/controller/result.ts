// The sections a controller group adds to its result (built by `controllerSections`).
import { z } from 'zod';
import { durationSummarySchema, encodedHistogramSchema } from '../../metrics/histogram.js';

/** Retries per successful write (from a histogram of retries + 1). */
export const retriesSummarySchema = z.object({
  count: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
});
export type RetriesSummary = z.infer<typeof retriesSummarySchema>;

export const conflictFiguresSchema = z.object({
  count409: z.number(),
  /** PUT attempts. */
  attempts: z.number(),
  /** 409s ÷ PUT attempts. */
  rate: z.number(),
  /** Successful writes. */
  writes: z.number(),
  /** Reconciles given up after the last conflict retry. */
  abandoned: z.number(),
  retriesPerWrite: retriesSummarySchema,
});
export type ConflictFigures = z.infer<typeof conflictFiguresSchema>;

export const controllerWatchSectionSchema = z.object({
  events: z.number(),
  bookmarks: z.number(),
  restarts: z.number(),
  relists: z.number(),
  failures: z.number(),
  /**
   * Expected deliveries of acknowledged writes that came neither as an event nor in a relist's
   * LIST (Σ missing deliveries).
   */
  lost: z.number(),
  /**
   * Expected deliveries that came as no event because the watcher relisted (after a 410), and
   * whose write that LIST covered. Absent in results written before it was counted.
   */
  coveredByRelist: z.number().optional(),
  acknowledgedWrites: z.number(),
  expectedDeliveries: z.number(),
  /** MODIFIED events that matched no recorded write. */
  unmatched: z.number(),
  /** Events that arrived before their writer had read the response (latency counted as 0). */
  beforeAck: z.number(),
  latencyMs: durationSummarySchema,
  latencyFromIntentMs: durationSummarySchema,
  /** Encoded µs histogram of latencyMs. */
  latencyHistogram: encodedHistogramSchema,
  histograms: z.object({
    latency: encodedHistogramSchema,
    latencyFromIntent: encodedHistogramSchema,
  }),
});

export const controllerSectionsSchema = z.object({
  watch: controllerWatchSectionSchema,
  conflicts: conflictFiguresSchema.extend({
    /** Reconciles that ended on another error. */
    failed: z.number(),
    reconcileLatencyMs: durationSummarySchema,
    bySet: z.record(z.string(), conflictFiguresSchema),
  }),
});
export type ControllerSections = z.infer<typeof controllerSectionsSchema>;
