/**
 * sweep.json, written by `apfbench sweep`, as a zod schema; its types are inferred from it. The
 * plan (profiles, --vary values, levels), every run with the path of its result.json, each
 * level's verdict, and each profile's knee. Objects strip unknown fields, as result.json's do.
 */
import { z } from 'zod';
import { runStatusSchema, toolSchema } from './run-result-schema.js';

/** Bump when a field of sweep.json changes meaning or is removed; readers refuse others. */
export const SWEEP_SCHEMA_VERSION = 1;

export const sweepVarySchema = z.object({
  /** As given to --vary: `spec.actors[noisy].rate`. */
  path: z.string(),
  /** The `--set` path it edits: `spec.actors[3].rate`. */
  setPath: z.string(),
  /** Appended to each value in the scenario (`/s`); empty for a plain number. */
  unit: z.string(),
  values: z.array(z.number()),
});

export const sweepLevelSchema = z.object({
  index: z.number(),
  /** One value per --vary, in their order. */
  values: z.array(z.number()),
  label: z.string(),
  /** The `--set` overrides of this level, after the command's own. */
  sets: z.array(z.string()),
  /** Levels of a row share every value but the first --vary's. */
  row: z.number(),
});

export const sweepRunSchema = z.object({
  profile: z.string(),
  level: z.number(),
  /** 0-based repeat of this level. */
  repeat: z.number(),
  status: runStatusSchema,
  /** result.json of the run, relative to sweep.json. */
  result: z.string(),
  /** The figures `compare` compares (engine/compare.ts: `runFigures`). */
  figures: z.record(z.string(), z.number()),
});

export const sweepVerdictSchema = z.object({
  profile: z.string(),
  level: z.number(),
  /** A stop condition held, a budget broke, or a run did not complete. */
  broken: z.boolean(),
  /** A stop condition held (or a run did not complete): the rest of the row was not run. */
  stopped: z.boolean(),
  /** One line per stop condition that held and budget that broke, with what was observed. */
  reasons: z.array(z.string()),
});

export const sweepKneeSchema = z.object({
  profile: z.string(),
  row: z.number(),
  /** The first level of the row that broke; null: none of the levels run broke. */
  knee: z.number().nullable(),
  /** The last level before the knee (or of the row) that held; null: the first one broke. */
  holdsUpTo: z.number().nullable(),
});

export const sweepStatusSchema = z.enum(['completed', 'partial', 'failed']);

export const sweepSchema = z.object({
  schemaVersion: z.literal(SWEEP_SCHEMA_VERSION),
  tool: toolSchema,
  scenario: z.string(),
  createdAt: z.string(),
  /** partial: interrupted (Ctrl-C), with every level finished before it. */
  status: sweepStatusSchema,
  reason: z.string().optional(),
  repeat: z.number(),
  settleSeconds: z.number(),
  /** `--stop` expressions: a level where one holds ends its row. */
  stop: z.array(z.string()),
  /** The scenario's absolute budgets (spec.budgets): a level that breaks one is past the knee. */
  budgets: z.array(z.string()),
  /** `--apiserver-arg` flags every local control plane of the sweep started with. */
  serverArgs: z.array(z.string()).optional(),
  profiles: z.array(
    z.object({ name: z.string(), file: z.string(), apiserverArgs: z.array(z.string()) }),
  ),
  vary: z.array(sweepVarySchema),
  levels: z.array(sweepLevelSchema),
  runs: z.array(sweepRunSchema),
  verdicts: z.array(sweepVerdictSchema),
  knees: z.array(sweepKneeSchema),
});

export type Sweep = z.infer<typeof sweepSchema>;
export type SweepVary = z.infer<typeof sweepVarySchema>;
export type SweepLevel = z.infer<typeof sweepLevelSchema>;
export type SweepRun = z.infer<typeof sweepRunSchema>;
export type SweepVerdict = z.infer<typeof sweepVerdictSchema>;
export type SweepKnee = z.infer<typeof sweepKneeSchema>;
