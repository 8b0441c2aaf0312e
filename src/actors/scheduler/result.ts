// The section a scheduler group adds to its result (built by `schedulerSections`).
import { z } from 'zod';
import { durationSummarySchema, encodedHistogramSchema } from '../../metrics/histogram.js';

export const schedulerSectionSchema = z.object({
  bound: z.number(),
  bindConflicts: z.number(),
  bindErrors: z.number(),
  /** Binding acknowledged − the pod's intended create time. */
  latencyMs: durationSummarySchema,
  latencyHistogram: encodedHistogramSchema,
  /** The scheduler's informer. */
  watch: z.object({
    events: z.number(),
    restarts: z.number(),
    relists: z.number(),
    failures: z.number(),
  }),
});
export type SchedulerSection = z.infer<typeof schedulerSectionSchema>;

export const schedulerSectionsSchema = z.object({ scheduling: schedulerSectionSchema });
