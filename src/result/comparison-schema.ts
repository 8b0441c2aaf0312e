/**
 * comparison.json, written by `apfbench compare`, as a zod schema; its types are inferred from
 * it. Like result.json, objects strip unknown fields and keep the order the engine writes them in.
 */
import { z } from 'zod';
import { differenceSchema, sampleSchema } from '../metrics/compare-stats.js';
import { runStatusSchema, toolSchema } from './run-result-schema.js';

/** Bump when a field of comparison.json changes meaning or is removed; readers refuse others. */
export const COMPARISON_SCHEMA_VERSION = 1;

export const comparisonRunSchema = z.object({
  index: z.number(),
  profile: z.string(),
  /** 0-based repeat of this profile. */
  repeat: z.number(),
  status: runStatusSchema,
  /** result.json of the run, relative to comparison.json. */
  result: z.string(),
  /** The figures the summary compares (engine/compare.ts: `runFigures`). */
  figures: z.record(z.string(), z.number()),
});
export type ComparisonRun = z.infer<typeof comparisonRunSchema>;

export const figureSummarySchema = z.object({
  figure: z.string(),
  byProfile: z.record(z.string(), sampleSchema),
  /** Each profile but the baseline against the baseline. */
  differences: z.record(z.string(), differenceSchema),
});
export type FigureSummary = z.infer<typeof figureSummarySchema>;

export const comparisonSchema = z.object({
  schemaVersion: z.literal(COMPARISON_SCHEMA_VERSION),
  tool: toolSchema,
  scenario: z.string(),
  createdAt: z.string(),
  status: runStatusSchema,
  reason: z.string().optional(),
  repeat: z.number(),
  /** `--apiserver-arg` flags every local control plane of the comparison started with. */
  serverArgs: z.array(z.string()).optional(),
  profiles: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      apiserverArgs: z.array(z.string()),
      /** The audit policy its control plane ran with (a level or a file); absent: none. */
      auditPolicy: z.string().optional(),
    }),
  ),
  /** The profile of each run, in the order they ran. */
  order: z.array(z.string()),
  runs: z.array(comparisonRunSchema),
  summary: z.object({ baseline: z.string(), figures: z.array(figureSummarySchema) }),
});
export type Comparison = z.infer<typeof comparisonSchema>;
