import type { KubeResponse } from '../kube/index.js';
import { transportErrorCode } from '../metrics/timeline-snapshot.js';
import type { RetryPolicy } from '../scenario/index.js';
import type { ActorContext } from './actor.js';

export interface RecordedSend<T> {
  readonly verb: string;
  readonly resource: string;
  /** Run-relative intended send time (ms). */
  readonly intendedMs: number;
  /** Makes one attempt; called again for each retry. */
  readonly attempt: () => Promise<KubeResponse<T>>;
  readonly retry?: RetryPolicy | undefined;
}

/** Status codes as strings, without a number-to-string conversion per response. */
const statusText: string[] = Array.from({ length: 600 }, (_, i) => String(i));

function codeOf(res: KubeResponse): string {
  if (res.status === 0) return transportErrorCode(res.error?.code ?? 'UNKNOWN');
  return statusText[res.status] ?? String(res.status);
}

/** Records the last attempt of a logical request. */
function complete<T>(
  ctx: ActorContext,
  s: RecordedSend<T>,
  res: KubeResponse<T>,
  sentAt: number,
): void {
  ctx.collector.completed({
    intendedMs: s.intendedMs,
    verb: s.verb,
    resource: s.resource,
    code: codeOf(res),
    priorityLevel: ctx.names.priorityLevel(res.priorityLevelUID),
    flowSchema: ctx.names.flowSchema(res.flowSchemaUID),
    latencyUs: (res.doneAt - ctx.originMs - s.intendedMs) * 1000,
    serviceTimeUs: (res.doneAt - sentAt) * 1000,
  });
}

/**
 * Sends a logical request, retrying 429s as client-go does (honouring
 * Retry-After, capped by the policy's maxBackoff), and records it: its start
 * as a send, every attempt as a response, the logical request once with
 * latency measured from its intended send time, so that retries and queueing
 * count against it; all of it in the window of that intended time. Every
 * request of every actor goes through here, so `sent` counts each one.
 * Without a retry policy it takes a shorter path: one attempt, one record.
 */
export function sendRecorded<T>(ctx: ActorContext, s: RecordedSend<T>): Promise<KubeResponse<T>> {
  ctx.collector.sent(s.intendedMs);
  if (s.retry === undefined || s.retry.maxRetries === 0) {
    return s.attempt().then((res) => {
      complete(ctx, s, res, res.sentAt);
      return res;
    });
  }
  return sendRetrying(ctx, s, s.retry);
}

async function sendRetrying<T>(
  ctx: ActorContext,
  s: RecordedSend<T>,
  retry: RetryPolicy,
): Promise<KubeResponse<T>> {
  let sentAt: number | undefined;
  for (let attempt = 0; ; attempt++) {
    const res = await s.attempt();
    sentAt ??= res.sentAt;
    if (res.status === 429 && attempt < retry.maxRetries && !ctx.signal.aborted) {
      ctx.collector.retried({
        intendedMs: s.intendedMs,
        verb: s.verb,
        resource: s.resource,
        code: '429',
        priorityLevel: ctx.names.priorityLevel(res.priorityLevelUID),
        flowSchema: ctx.names.flowSchema(res.flowSchemaUID),
      });
      const waitMs = Math.min((res.retryAfterSeconds ?? 1) * 1000, retry.maxBackoff);
      // On the worker's clock: one abort listener for every sleeper of the run's signal, where a
      // timers/promises sleep added and removed one per retry (each a walk of the list).
      await ctx.clock.sleepUntil(ctx.clock.now() + waitMs, ctx.signal);
      if (!ctx.signal.aborted) continue;
    }
    complete(ctx, s, res, sentAt);
    return res;
  }
}
