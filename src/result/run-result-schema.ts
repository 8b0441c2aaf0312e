/**
 * result.json, as a zod schema: what `apfbench run` writes and what `report`, `check` and
 * `compare` read back (read-result.ts). The types are inferred from it, so the writer and the
 * readers share one definition. Each section comes from the layer that produces it (metrics/,
 * and actors/ for the sections of each actor type); this file only assembles them.
 *
 * Objects strip fields they do not know (results are written by other versions); their fields
 * are declared in the order the engine writes them, which is the order they are read back in.
 * A field added after results were first recorded is optional.
 */
import { z } from 'zod';
import { actors, type ActorType } from '../actors/index.js';
import { clientConnectionsSchema } from '../kube/connections.js';
import { fairnessSectionSchema } from '../metrics/fairness.js';
import { generatorSectionSchema } from '../metrics/generator-health.js';
import { serverSectionSchema } from '../metrics/server-section.js';
import { requestFiguresShape, timelineRowSchema } from '../metrics/timeline-aggregator.js';
import { targetHealthSchema } from '../metrics/target-health.js';

/** Bump when a field changes meaning or is removed; readers refuse other versions. */
export const RESULT_SCHEMA_VERSION = 1;

export const toolSchema = z.object({ name: z.literal('apfbench'), version: z.string() });

/**
 * `degraded`: the load ran to its end, but the API server did not answer a significant share
 * of it (`targetHealth`); its figures describe a server that was partly unreachable.
 */
export const runStatusSchema = z.enum(['completed', 'degraded', 'aborted', 'failed']);
export type RunStatus = z.infer<typeof runStatusSchema>;

/**
 * A group's request figures over the measured part of the run (warm-up excluded): the merged
 * totals, with `completed` named `total` and the engine's internals left out.
 */
export const requestTotalsSchema = z.object({
  ...requestFiguresShape,
  /** Logical requests completed (a retried request counts once). */
  total: z.number(),
});
export type RequestTotals = z.infer<typeof requestTotalsSchema>;

/** What a group of `type` did: its request figures and the sections its actor type adds. */
function groupResultSchema<T extends ActorType, S extends z.ZodRawShape>(
  type: T,
  sections: z.ZodObject<S>,
) {
  return z.object({
    type: z.literal(type),
    count: z.number(),
    ...sections.shape,
    requests: requestTotalsSchema,
  });
}

const groupSchemas = [
  groupResultSchema('tenant', actors.tenant.resultSections),
  groupResultSchema('kubelet', actors.kubelet.resultSections),
  groupResultSchema('controller', actors.controller.resultSections),
  groupResultSchema('scheduler', actors.scheduler.resultSections),
  groupResultSchema('pod-churn', actors['pod-churn'].resultSections),
] as const;

/** What one actor group did, over the measured part of the run; its `type` says its sections. */
export const actorGroupResultSchema = z.discriminatedUnion('type', groupSchemas);
export type ActorGroupResult = z.infer<typeof actorGroupResultSchema>;
/** The result of a group of one actor type. */
export type ActorGroupResultOf<T extends ActorType> = Extract<ActorGroupResult, { type: T }>;

// Every actor type of the registry has its group schema above: a type added to `actors` and not
// here fails to compile.
type Unlisted = Exclude<ActorType, ActorGroupResult['type']>;
const everyTypeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTypeListed;

/**
 * The scenario as run, resolved (durations in ms). Only what readers use is checked; the rest is
 * kept, since the report shows the whole scenario. Read back, the checked fields come first and
 * the rest follow as written: the order in which reports have always shown it.
 */
export const resolvedScenarioSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), description: z.string().optional() }),
  spec: z.looseObject({ duration: z.number(), warmup: z.number() }),
});

/** The profile as applied: its resolved form, where it came from and what it changed. */
export const runProfileSchema = z.object({
  name: z.string(),
  file: z.string().optional(),
  spec: z.unknown(),
  /** `<op> <Kind> <name>` for every object created, updated or deleted. */
  changes: z.array(z.string()),
  /** Why the changes could not be undone after the run (they are still in place); absent: they were. */
  restoreError: z.string().optional(),
});
export type RunProfile = z.infer<typeof runProfileSchema>;

export const runResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  tool: toolSchema,
  runId: z.string(),
  scenario: resolvedScenarioSchema,
  target: z.object({ server: z.string(), serverVersion: z.string(), local: z.boolean() }),
  startedAt: z.string(),
  endedAt: z.string(),
  /** The measured window (after the warm-up, to the deadline or an early stop), wall clock. */
  measuredFrom: z.string().optional(),
  measuredTo: z.string().optional(),
  status: runStatusSchema,
  /** Why the run failed or was aborted. */
  reason: z.string().optional(),
  workers: z.number(),
  actors: z.record(z.string(), actorGroupResultSchema),
  /** Per-interval rows per actor group, warm-up included (t in seconds since start). */
  timeline: z.array(timelineRowSchema),
  generator: generatorSectionSchema,
  /** Sends that got no HTTP response; absent from results written before it was added. */
  targetHealth: targetHealthSchema.optional(),
  /**
   * The client's connections per pool (protocol, per-actor or shared, how many opened); absent
   * from results written before it was added.
   */
  clientConnections: clientConnectionsSchema.optional(),
  cleanup: z.object({ policy: z.string(), deleted: z.number(), errors: z.array(z.string()) }),
  /** The APF profile applied for the run (compare, run --profile); absent: none was. */
  profile: runProfileSchema.optional(),
  /** kube-apiserver's own figures for the run. */
  server: serverSectionSchema.optional(),
  /** Why `server` is missing, when /metrics could not be read. */
  serverError: z.string().optional(),
  /** Jain's index, shares and latency ratios. */
  fairness: fairnessSectionSchema.optional(),
});
export type RunResult = z.infer<typeof runResultSchema>;
