// What the admission webhooks apfbench hosts saw during a run (spec.webhooks): their calls, the
// latency they added, the failures they returned and the calls the API server gave up on. Pure:
// the server (kube/admission-server.ts) hands each call to `recordWebhookCall`.
import { z } from 'zod';
import {
  createAccumulator,
  durationSummarySchema,
  record,
  summarizeMs,
  type DurationHistogram,
} from './histogram.js';
import { serverWebhookStatsSchema } from './server-metrics.js';

/** One webhook of the run, as configured and as it was called. */
export const webhookResultSchema = z.object({
  name: z.string(),
  kind: z.enum(['validating', 'mutating']),
  /** The name the API server knows it by (its metrics' `name` label). */
  configuredName: z.string(),
  /** The configured latency, as the report shows it (`2s`, `uniform 1s–3s`). */
  latency: z.string(),
  failureRatio: z.number(),
  timeoutSeconds: z.number(),
  failurePolicy: z.enum(['Fail', 'Ignore']),
  /** Calls of the run's requests (apfbench's readiness probes are not counted). */
  calls: z.number(),
  byOperation: z.record(z.string(), z.number()),
  /** Answered, allowing the request. */
  allowed: z.number(),
  /** Answered with HTTP 500 (failureRatio); the failure policy decided the request. */
  failuresReturned: z.number(),
  /** Closed by the API server before the answer: its timeoutSeconds ran out. */
  timedOut: z.number(),
  /** Dry-run calls of apfbench's readiness probe, answered at once. */
  probes: z.number(),
  /** Calls that were not an AdmissionReview for a known webhook (HTTP 400 or 404). */
  badRequests: z.number(),
  /** How long it held each call: the latency it added to the request, ms. */
  heldMs: durationSummarySchema,
  /** The API server's own figures for this webhook (its admission metrics); absent: none. */
  server: serverWebhookStatsSchema.optional(),
});
export type WebhookResult = z.infer<typeof webhookResultSchema>;

/** The `webhooks` section of result.json: one entry per spec.webhooks entry, in its order. */
export const webhooksSectionSchema = z.array(webhookResultSchema);
export type WebhooksSection = z.infer<typeof webhooksSectionSchema>;

/** The counts a webhook accumulates during the run. */
export interface WebhookTally {
  calls: number;
  readonly byOperation: Record<string, number>;
  allowed: number;
  failuresReturned: number;
  timedOut: number;
  probes: number;
  badRequests: number;
  readonly held: DurationHistogram;
}

export function emptyWebhookTally(): WebhookTally {
  return {
    calls: 0,
    byOperation: {},
    allowed: 0,
    failuresReturned: 0,
    timedOut: 0,
    probes: 0,
    badRequests: 0,
    held: createAccumulator(),
  };
}

/** What one call contributes (`AdmissionCall` of kube/admission-server.ts). */
export interface WebhookCallRecord {
  readonly operation: string;
  readonly dryRun: boolean;
  readonly heldMs: number;
  readonly outcome: 'allowed' | 'failed' | 'abandoned' | 'bad-request';
}

/** Counts one call into `tally`; a probe or a bad request adds no latency. */
export function recordWebhookCall(tally: WebhookTally, call: WebhookCallRecord): void {
  if (call.outcome === 'bad-request') {
    tally.badRequests++;
    return;
  }
  if (call.dryRun) {
    tally.probes++;
    return;
  }
  tally.calls++;
  tally.byOperation[call.operation] = (tally.byOperation[call.operation] ?? 0) + 1;
  if (call.outcome === 'allowed') tally.allowed++;
  else if (call.outcome === 'failed') tally.failuresReturned++;
  else tally.timedOut++;
  record(tally.held, call.heldMs * 1000);
}

/** The counted part of a webhook's result entry. */
export function tallyFigures(
  tally: WebhookTally,
): Pick<
  WebhookResult,
  | 'calls'
  | 'byOperation'
  | 'allowed'
  | 'failuresReturned'
  | 'timedOut'
  | 'probes'
  | 'badRequests'
  | 'heldMs'
> {
  return {
    calls: tally.calls,
    byOperation: { ...tally.byOperation },
    allowed: tally.allowed,
    failuresReturned: tally.failuresReturned,
    timedOut: tally.timedOut,
    probes: tally.probes,
    badRequests: tally.badRequests,
    heldMs: summarizeMs(tally.held),
  };
}
