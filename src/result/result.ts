import { z } from 'zod';
import type { KubeTarget } from '../kube/index.js';
import type { Difference, Sample } from '../metrics/compare-stats.js';
import type { FairnessSection } from '../metrics/fairness.js';
import type { CapJudgement, GeneratorHealth } from '../metrics/generator-health.js';
import { decode } from '../metrics/histogram.js';
import type { ServerSection } from '../metrics/server-section.js';
import type { GroupTotals, TimelineRow } from '../metrics/timeline-aggregator.js';
import type { TargetHealth } from '../metrics/target-health.js';
import type { Scenario } from '../scenario/index.js';

/** Bump when a field changes meaning or is removed; readers refuse other versions. */
export const RESULT_SCHEMA_VERSION = 1;

/**
 * `degraded`: the load ran to its end, but the API server did not answer a significant share
 * of it (`targetHealth`); its figures describe a server that was partly unreachable.
 */
export type RunStatus = 'completed' | 'degraded' | 'aborted' | 'failed';

/**
 * A group's request figures over the measured part of the run (warm-up excluded): the merged
 * totals, with `completed` named `total` and the engine's internals left out.
 */
export type RequestTotals = Omit<
  GroupTotals,
  'group' | 'completed' | 'clamped' | 'counters' | 'measures'
> & {
  /** Logical requests completed (a retried request counts once). */
  readonly total: number;
};

/** What one actor group did, over the measured part of the run (warm-up excluded). */
export interface ActorGroupResult {
  readonly type: string;
  readonly count: number;
  /** Sections an actor type adds (`heartbeats`, `watch`, `conflicts`, `podStartup`, ...). */
  readonly [section: string]: unknown;
  readonly requests: RequestTotals;
}

export interface RunResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly tool: { readonly name: 'apfbench'; readonly version: string };
  readonly runId: string;
  readonly scenario: Scenario;
  readonly target: {
    readonly server: string;
    readonly serverVersion: string;
    readonly local: boolean;
  };
  readonly startedAt: string;
  readonly endedAt: string;
  readonly status: RunStatus;
  /** Why the run failed or was aborted. */
  readonly reason?: string;
  readonly workers: number;
  readonly actors: Readonly<Record<string, ActorGroupResult>>;
  /** Per-interval rows per actor group, warm-up included (t in seconds since start). */
  readonly timeline: readonly TimelineRow[];
  /** The cap judgement is absent from results written before it was added (drops counted as saturation). */
  readonly generator: GeneratorHealth &
    Partial<CapJudgement> & { readonly abandonedRequests: number };
  readonly cleanup: {
    readonly policy: string;
    readonly deleted: number;
    readonly errors: readonly string[];
  };
  /** The APF profile applied for the run (compare, run --profile); absent: none was. */
  readonly profile?: RunProfile;
  /** kube-apiserver's own figures for the run (docs/result-format.md, `server`). */
  readonly server?: ServerSection;
  /** Why `server` is missing, when /metrics could not be read. */
  readonly serverError?: string;
  /** Jain's index, shares and latency ratios (docs/result-format.md, `fairness`). */
  readonly fairness?: FairnessSection;
  /** Sends that got no HTTP response; absent from results written before it was added. */
  readonly targetHealth?: TargetHealth;
}

/** The profile as applied: its resolved form, where it came from and what it changed. */
export interface RunProfile {
  readonly name: string;
  readonly file?: string;
  readonly spec: unknown;
  /** `<op> <Kind> <name>` for every object created, updated or deleted. */
  readonly changes: readonly string[];
  /** Why the changes could not be undone after the run (they are still in place); absent: they were. */
  readonly restoreError?: string;
}

export function describeTarget(
  target: KubeTarget,
  serverVersion: string,
  local: boolean,
): RunResult['target'] {
  return { server: target.server, serverVersion, local };
}

/** Bump when a field of comparison.json changes meaning or is removed; readers refuse others. */
export const COMPARISON_SCHEMA_VERSION = 1;

/** comparison.json, written by `apfbench compare` (docs/profiles.md). */
export interface ComparisonRun {
  readonly index: number;
  readonly profile: string;
  /** 0-based repeat of this profile. */
  readonly repeat: number;
  readonly status: RunResult['status'];
  /** result.json of the run, relative to comparison.json. */
  readonly result: string;
  /** The figures the summary compares (see `runFigures`). */
  readonly figures: Readonly<Record<string, number>>;
}

export interface FigureSummary {
  readonly figure: string;
  readonly byProfile: Readonly<Record<string, Sample>>;
  /** Each profile but the baseline against the baseline. */
  readonly differences: Readonly<Record<string, Difference>>;
}

export interface Comparison {
  readonly schemaVersion: typeof COMPARISON_SCHEMA_VERSION;
  readonly tool: { readonly name: 'apfbench'; readonly version: string };
  readonly scenario: string;
  readonly createdAt: string;
  readonly status: 'completed' | 'aborted' | 'failed';
  readonly reason?: string;
  readonly repeat: number;
  /** `--apiserver-arg` flags every local control plane of the comparison started with. */
  readonly serverArgs?: readonly string[];
  readonly profiles: readonly { name: string; file: string; apiserverArgs: readonly string[] }[];
  /** The profile of each run, in the order they ran. */
  readonly order: readonly string[];
  readonly runs: readonly ComparisonRun[];
  readonly summary: { readonly baseline: string; readonly figures: readonly FigureSummary[] };
}

// What the report reads of a result.json, checked when one is read back from a file, so that a
// file of the wrong shape is refused with the path of every wrong field instead of failing
// half-way through rendering. Objects are loose: fields the report does not read are kept.

const figure = z.number();
const counts = z.record(z.string(), figure);
const durationSummary = z.looseObject({
  count: figure,
  p50: figure,
  p90: figure,
  p99: figure,
  p999: figure,
  max: figure,
  mean: figure,
});
const decodes = (encoded: string) => {
  try {
    decode(encoded);
    return true;
  } catch {
    return false;
  }
};
const encodedHistogram = z
  .string()
  .refine(decodes, 'must be an encoded HDR histogram (compressed base64)');

const requestTotalsSchema = z.looseObject({
  total: figure,
  sent: figure,
  dropped: figure,
  errors: figure,
  retries: figure,
  throttled: figure,
  byCode: counts,
  byKey: counts,
  latencyMs: durationSummary,
  histograms: z.looseObject({ latency: encodedHistogram }),
});

const timelineRowSchema = z.looseObject({
  t: figure,
  group: z.string(),
  sent: figure,
  throttled: figure,
  rps: figure,
  p99Ms: figure.nullable(),
  errorsByCode: counts,
});

/** The result.json fields the report reads (sections.ts: `ReportableResult`). */
export const reportableResultSchema = z.looseObject({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  runId: z.string(),
  scenario: z.looseObject({
    metadata: z.looseObject({ name: z.string(), description: z.string().optional() }),
    spec: z.looseObject({ duration: figure, warmup: figure }),
  }),
  target: z.looseObject({ server: z.string(), serverVersion: z.string(), local: z.boolean() }),
  startedAt: z.string(),
  endedAt: z.string(),
  status: z.enum(['completed', 'degraded', 'aborted', 'failed']),
  reason: z.string().optional(),
  workers: figure,
  actors: z.record(
    z.string(),
    z.looseObject({ type: z.string(), count: figure, requests: requestTotalsSchema }),
  ),
  timeline: z.array(timelineRowSchema),
  generator: z.looseObject({
    saturated: z.boolean(),
    reasons: z.array(z.string()),
    eventLoopDelayMs: z.looseObject({ p99: figure }),
    utilization: figure,
    scheduleLagMs: z.looseObject({ p99: figure }),
    capped: z.boolean().optional(),
    cappedReasons: z.array(z.string()).optional(),
  }),
  profile: z
    .looseObject({ name: z.string(), file: z.string().optional(), changes: z.array(z.string()) })
    .optional(),
  heartbeats: z
    .looseObject({
      nodes: figure,
      renewals: figure,
      late: figure,
      missed: figure,
      gapMs: durationSummary,
      gapHistogram: encodedHistogram.optional(),
    })
    .optional(),
  watch: z
    .looseObject({
      events: figure,
      lost: figure.optional(),
      restarts: figure,
      relists: figure,
      latencyMs: durationSummary,
      latencyHistogram: encodedHistogram.optional(),
    })
    .optional(),
  fairness: z
    .looseObject({
      priorityLevels: z.record(
        z.string(),
        z.looseObject({
          jainIndex: figure,
          flows: figure,
          seatShare: figure.optional(),
          nominalShare: figure.optional(),
        }),
      ),
      latencyRatios: z.array(z.looseObject({ victim: z.string(), noisy: z.string() })).optional(),
    })
    .optional(),
  server: z
    .looseObject({
      series: z.array(
        z.looseObject({
          t: figure,
          priorityLevels: z.record(
            z.string(),
            z.looseObject({ executingSeats: figure, inqueueRequests: figure }),
          ),
        }),
      ),
    })
    .optional(),
});
