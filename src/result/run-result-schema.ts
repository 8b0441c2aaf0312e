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
import {
  actors,
  noResultSections,
  type ActorType,
  type ResultSectionsOf,
} from '../actors/index.js';
import { clientConnectionsSchema } from '../kube/connections.js';
import { fairnessSectionSchema } from '../metrics/fairness.js';
import { faultRecordSchema } from '../metrics/faults.js';
import { generatorSectionSchema } from '../metrics/generator-health.js';
import { serverSectionSchema } from '../metrics/server-section.js';
import { requestFiguresShape, timelineRowSchema } from '../metrics/timeline-aggregator.js';
import { targetHealthSchema } from '../metrics/target-health.js';

/** Bump when a field changes meaning or is removed; readers refuse other versions. */
export const RESULT_SCHEMA_VERSION = 1;

/** `attribution` of results whose measured figures count requests by intended send time. */
export const WINDOW_ATTRIBUTION = 'intended-send-time';

export const toolSchema = z.object({ name: z.literal('apfbench'), version: z.string() });

/**
 * `degraded`: the load ran to its end, but the API server did not answer a significant share
 * of it (`targetHealth`); its figures describe a server that was partly unreachable.
 */
/**
 * `partial`: a load agent was lost mid-run (`run --agents`); the others ran to the end, and the
 * lost one's figures stop at its last interval (`agents` says which and which instances).
 */
export const runStatusSchema = z.enum(['completed', 'degraded', 'partial', 'aborted', 'failed']);
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

type GroupResultSchemas = {
  [T in ActorType]: ReturnType<typeof groupResultSchema<T, ResultSectionsOf<T>['shape']>>;
}[ActorType];

/**
 * Every registered type's group schema, in the registry's order. The map over the registry
 * loses which entry is which type; `GroupResultSchemas` restores it, one schema per type.
 */
const groupSchemas = Object.entries(actors).map(([type, definition]) =>
  groupResultSchema(
    type as ActorType,
    'resultSections' in definition ? definition.resultSections : noResultSections,
  ),
) as [GroupResultSchemas, ...GroupResultSchemas[]];

/** What one actor group did, over the measured part of the run; its `type` says its sections. */
export const actorGroupResultSchema = z.discriminatedUnion('type', groupSchemas);
export type ActorGroupResult = z.infer<typeof actorGroupResultSchema>;
/** The result of a group of one actor type. */
export type ActorGroupResultOf<T extends ActorType> = Extract<ActorGroupResult, { type: T }>;

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

/**
 * How the run's clocks relate, so that its times can be lined up with other clocks' (the API
 * server's logs, another agent's result). apfbench's instants are the coordinator's monotonic
 * clock plus `monotonicOriginMs`; every worker thread counts the same instants from its own.
 */
export const runClockSchema = z.object({
  /** The instant of timeline t = 0, wall clock (ISO 8601 with ms). */
  t0: z.string(),
  /** Epoch ms at the coordinator's monotonic 0 (its `performance.timeOrigin`). */
  monotonicOriginMs: z.number(),
  /**
   * The monotonic clock (`performance.now()`) and the system clock (`Date.now()`) read together
   * when the start was set: `wallMs − monotonicMs − monotonicOriginMs` is how far the system
   * clock, which other programs on the host log by, had moved off the monotonic one.
   */
  sample: z.object({ monotonicMs: z.number(), wallMs: z.number() }),
});
export type RunClock = z.infer<typeof runClockSchema>;

/**
 * One load agent of a distributed run (`run --agents N`). Its clock offset and RTT were measured
 * at hello (NTP-style, the best of several probes): the agent started at t0 by its own clock
 * corrected by `offsetMs`, so its intended send times line up with the coordinator's to within
 * `rttMs / 2` plus the clocks' drift over the run.
 */
export const agentResultSchema = z.object({
  index: z.number(),
  host: z.string(),
  /** The agent's clock minus the coordinator's, ms. */
  offsetMs: z.number(),
  rttMs: z.number(),
  /** Actor instances it was given, and the worker threads it ran them on. */
  instances: z.number(),
  workers: z.number(),
  /** `lost`: its stream broke before every worker had reported; its last intervals are kept. */
  status: z.enum(['completed', 'lost']),
  /** Why it was lost. */
  reason: z.string().optional(),
  /** The instances whose load ended when it was lost, as `group/index`. */
  lostInstances: z.array(z.string()).optional(),
});
export type AgentResult = z.infer<typeof agentResultSchema>;

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
  /**
   * How the measured figures count requests: each in the window of its intended send time.
   * Absent from results written before that rule (docs/result-format.md, "Windows").
   */
  attribution: z.literal(WINDOW_ATTRIBUTION).optional(),
  /** The run's clocks; absent from results written before it was added, or when no load started. */
  clock: runClockSchema.optional(),
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
  /** The scenario's faults as they happened (spec.faults); absent: it had none. */
  faults: z.array(faultRecordSchema).optional(),
  cleanup: z.object({ policy: z.string(), deleted: z.number(), errors: z.array(z.string()) }),
  /** The APF profile applied for the run (compare, run --profile); absent: none was. */
  profile: runProfileSchema.optional(),
  /**
   * The audit log kube-apiserver wrote (a local control plane with an audit policy): the policy
   * (a level, or the policy file as given) and the log's path. The log covers the control
   * plane's whole life, which may hold other runs (compare): the run's events are those between
   * startedAt and endedAt. Absent: the server audited nothing, or apfbench did not start it.
   */
  audit: z.object({ policy: z.string(), log: z.string() }).optional(),
  /** kube-apiserver's own figures for the run. */
  server: serverSectionSchema.optional(),
  /** Why `server` is missing, when /metrics could not be read. */
  serverError: z.string().optional(),
  /** Jain's index, shares and latency ratios. */
  fairness: fairnessSectionSchema.optional(),
  /** The load agents of a distributed run; absent from a run on this machine's threads alone. */
  agents: z.array(agentResultSchema).optional(),
});
export type RunResult = z.infer<typeof runResultSchema>;

/**
 * `result` with its fields in the schema's order, whatever order they were added in (the
 * coordinator's measurements add theirs last): result.json always reads in the same order.
 */
export function inResultOrder(result: RunResult): RunResult {
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(runResultSchema.shape)) {
    if (key in result) ordered[key] = result[key as keyof RunResult];
  }
  return { ...ordered, ...result } as RunResult;
}
