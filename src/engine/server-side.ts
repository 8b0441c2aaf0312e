// The server's side of every run: /metrics before, during and after, the APF debug dump at the
// end, and the result sections built from them. A failure here never fails the run: the result
// then says what went wrong in `server.error` instead.
import type { KubeClient } from '../kube/index.js';
import { requestHeaders } from '../kube/index.js';
import { fairnessSection, type FairnessSection } from '../metrics/fairness.js';
import { type SamplerResult } from '../metrics/server-metrics.js';
import { startMetricsSampler } from '../kube/metrics.js';
import { buildServerSection, type ServerSection } from '../metrics/server-section.js';
import type { RunResult } from '../result/result.js';

export const DEFAULT_SERVER_INTERVAL_MS = 2000;

export const DUMP_PRIORITY_LEVELS_PATH = '/debug/api_priority_and_fairness/dump_priority_levels';

/** The debug dump's text (a table of every priority level's queues and requests), as admin. */
export async function dumpPriorityLevels(admin: KubeClient): Promise<string> {
  const res = await admin.transport.pool.request({
    method: 'GET',
    path: DUMP_PRIORITY_LEVELS_PATH,
    headers: { ...requestHeaders({ identity: admin.identity }), accept: 'text/plain' },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200)
    throw new Error(`GET ${DUMP_PRIORITY_LEVELS_PATH}: HTTP ${res.statusCode}`);
  return text;
}

export type ServerOutcome =
  | { readonly ok: true; readonly sampled: SamplerResult; readonly dump: string | undefined }
  | { readonly ok: false; readonly error: string };

export interface ServerMeasurement {
  /** Takes the final scrape and the dump. Never rejects. */
  finish(): Promise<ServerOutcome>;
}

/** Scrapes now (before the load starts) and every `intervalMs` until `finish`. Never rejects. */
export async function startServerMeasurement(
  admin: KubeClient,
  opts: { intervalMs?: number | undefined } = {},
): Promise<ServerMeasurement> {
  try {
    const sampler = await startMetricsSampler(admin, {
      intervalMs: opts.intervalMs ?? DEFAULT_SERVER_INTERVAL_MS,
    });
    return {
      finish: async () => {
        try {
          const sampled = await sampler.stop();
          const dump = await dumpPriorityLevels(admin).catch(() => undefined);
          return { ok: true, sampled, dump };
        } catch (err) {
          return { ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      },
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { finish: () => Promise.resolve({ ok: false, error }) };
  }
}

/** Options a caller (compare, run) passes to the coordinator for these sections. */
export interface ServerSideOptions {
  /** Time between scrapes of /metrics during the run; default 2 s. */
  readonly serverIntervalMs?: number;
  /** Victim and noisy actor groups whose latencies `fairness.latencyRatios` compares. */
  readonly latencyPairs?: readonly { readonly victim: string; readonly noisy: string }[];
}

/**
 * The `server` and `fairness` sections for a finished result. `server` is left out (with the
 * reason in `serverError`) when the metrics could not be read.
 */
export function serverSections(
  result: RunResult,
  outcome: ServerOutcome | undefined,
  opts: ServerSideOptions = {},
): { server?: ServerSection; serverError?: string; fairness: FairnessSection } {
  const pairs = { pairs: opts.latencyPairs ?? [] };
  if (outcome === undefined || !outcome.ok) {
    return {
      ...(outcome === undefined ? {} : { serverError: outcome.error }),
      fairness: fairnessSection(result.actors, pairs),
    };
  }
  const throttledByGroup: Record<string, number> = {};
  for (const row of result.timeline) {
    throttledByGroup[row.group] = (throttledByGroup[row.group] ?? 0) + row.throttled;
  }
  const server = buildServerSection(
    outcome.sampled,
    {
      groups: Object.fromEntries(
        Object.entries(result.actors).map(([name, g]) => [
          name,
          { byFlowSchema: g.requests.byFlowSchema },
        ]),
      ),
      throttledByGroup,
    },
    {
      intervalMs: opts.serverIntervalMs ?? DEFAULT_SERVER_INTERVAL_MS,
      dump: outcome.dump,
    },
  );
  return {
    server,
    fairness: fairnessSection(result.actors, { ...pairs, server }),
  };
}
