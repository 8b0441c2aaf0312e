import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeResponse } from '../kube/index.js';
import { transportErrorCode } from '../metrics/timeline.js';
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

function codeOf(res: KubeResponse): string {
  return res.status === 0 ? transportErrorCode(res.error?.code ?? 'UNKNOWN') : String(res.status);
}

/**
 * Sends a logical request, retrying 429s as client-go does (honouring
 * Retry-After, capped by the policy's maxBackoff), and records it: every
 * attempt as a response, the logical request once with latency measured from
 * its intended send time, so that retries and queueing count against it.
 */
export async function sendRecorded<T>(
  ctx: ActorContext,
  s: RecordedSend<T>,
): Promise<KubeResponse<T>> {
  const attempts = (s.retry?.maxRetries ?? 0) + 1;
  let first: KubeResponse<T> | undefined;
  for (let i = 1; ; i++) {
    const res = await s.attempt();
    first ??= res;
    const outcome = {
      verb: s.verb,
      resource: s.resource,
      code: codeOf(res),
      priorityLevel: ctx.names.priorityLevel(res.priorityLevelUID),
      flowSchema: ctx.names.flowSchema(res.flowSchemaUID),
    };
    if (res.status === 429 && i < attempts && s.retry !== undefined && !ctx.signal.aborted) {
      ctx.collector.retried(outcome);
      const waitMs = Math.min((res.retryAfterSeconds ?? 1) * 1000, s.retry.maxBackoff);
      await sleep(waitMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (!ctx.signal.aborted) continue;
    }
    ctx.collector.completed({
      ...outcome,
      latencyUs: (res.doneAt - ctx.originMs - s.intendedMs) * 1000,
      serviceTimeUs: (res.doneAt - first.sentAt) * 1000,
    });
    return res;
  }
}
