import type { KubeTarget } from '../kube/index.js';
import type { GeneratorHealth } from '../metrics/generator-health.js';
import type { DurationSummary } from '../metrics/histogram.js';
import type { TimelineRow } from '../metrics/timeline.js';
import type { Scenario } from '../scenario/index.js';

/** Bump when a field changes meaning or is removed; readers refuse other versions. */
export const RESULT_SCHEMA_VERSION = 1;

export type RunStatus = 'completed' | 'aborted' | 'failed';

/** What one actor group did, over the measured part of the run (warm-up excluded). */
export interface ActorGroupResult {
  readonly type: string;
  readonly count: number;
  /** Sections an actor type adds (`heartbeats`, `watch`, `conflicts`, `podStartup`, ...). */
  readonly [section: string]: unknown;
  readonly requests: {
    /** Logical requests completed (a retried request counts once). */
    readonly total: number;
    /** Sends started on schedule. */
    readonly sent: number;
    /** Sends due while the in-flight cap was reached: not sent, counted here. */
    readonly dropped: number;
    /** Completed logical requests whose last response was not 2xx, or a transport error. */
    readonly errors: number;
    /** Extra attempts made by client-go-like retries. */
    readonly retries: number;
    /** 429 responses, retried or final. */
    readonly throttled: number;
    /** Responses (every attempt) by status code; `error:<code>` for transport errors. */
    readonly byCode: Readonly<Record<string, number>>;
    /** Responses by `"<verb> <resource> <code>"`. */
    readonly byKey: Readonly<Record<string, number>>;
    readonly byPriorityLevel: Readonly<Record<string, number>>;
    readonly byFlowSchema: Readonly<Record<string, number>>;
    /** Completion − intended send time of the first attempt. */
    readonly latencyMs: DurationSummary;
    /** Completion − actual send time of the first attempt. */
    readonly serviceTimeMs: DurationSummary;
    /** Actual − intended send time. */
    readonly scheduleLagMs: DurationSummary;
    /** Encoded HDR histograms (µs, compressed base64), to re-render or compare. */
    readonly histograms: {
      readonly latency: string;
      readonly serviceTime: string;
      readonly scheduleLag: string;
    };
  };
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
  readonly generator: GeneratorHealth & { readonly abandonedRequests: number };
  readonly cleanup: {
    readonly policy: string;
    readonly deleted: number;
    readonly errors: readonly string[];
  };
}

export function describeTarget(
  target: KubeTarget,
  serverVersion: string,
  local: boolean,
): RunResult['target'] {
  return { server: target.server, serverVersion, local };
}
