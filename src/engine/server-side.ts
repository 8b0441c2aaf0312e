// The server's side of every run: /metrics before, during and after, the APF debug dump at the
// end, and the result sections built from them. A failure here never fails the run: the result
// then says what went wrong in `server.error` instead.
import type { KubeClient } from '../kube/index.js';
import { fairnessSection, type FairnessSection } from '../metrics/fairness.js';
import { spanOf } from '../metrics/process-cost.js';
import { type SamplerResult } from '../metrics/server-metrics.js';
import { startMetricsSampler } from '../kube/metrics.js';
import { buildServerSection, clientSideOf, type ServerSection } from '../metrics/server-section.js';
import type { RunResult } from '../result/result.js';
import type { Measurement } from './measurement.js';

export const DEFAULT_SERVER_INTERVAL_MS = 2000;

export const DUMP_PRIORITY_LEVELS_PATH = '/debug/api_priority_and_fairness/dump_priority_levels';

/** The debug dump's text (a table of every priority level's queues and requests), as admin. */
export async function dumpPriorityLevels(admin: KubeClient): Promise<string> {
  const res = await admin.transport.pool.request({
    method: 'GET',
    path: DUMP_PRIORITY_LEVELS_PATH,
    headers: { ...admin.transport.headers(admin.identity), accept: 'text/plain' },
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
 * The `server` section (or, when /metrics could not be read, `serverError`): scrapes when it
 * starts (before the load), every `serverIntervalMs` during the run, and when it finishes.
 */
export function serverMeasurement(
  opts: ServerSideOptions = {},
): Measurement<{ server?: ServerSection; serverError?: string }> {
  let measuring: ServerMeasurement | undefined;
  return {
    start: async ({ admin }) => {
      measuring = await startServerMeasurement(admin, { intervalMs: opts.serverIntervalMs });
    },
    finish: async ({ result }) => {
      const outcome = await measuring?.finish();
      if (outcome === undefined) return {};
      if (!outcome.ok) return { serverError: outcome.error };
      return { server: serverSection(result, outcome, opts) };
    },
  };
}

function serverSection(
  result: Pick<RunResult, 'timeline' | 'actors' | 'measuredFrom' | 'measuredTo'>,
  outcome: Extract<ServerOutcome, { ok: true }>,
  opts: ServerSideOptions,
): ServerSection {
  return buildServerSection(outcome.sampled, clientSideOf(result), {
    intervalMs: opts.serverIntervalMs ?? DEFAULT_SERVER_INTERVAL_MS,
    dump: outcome.dump,
    window: spanOf(result),
  });
}

/**
 * The `fairness` section, from the groups' results and, when the server measurement before it
 * added one, the `server` section. Pure; always added.
 */
export function fairnessMeasurement(
  opts: Pick<ServerSideOptions, 'latencyPairs'> = {},
): Measurement<{ fairness: FairnessSection }> {
  return {
    finish: ({ result }) => {
      const pairs = { pairs: opts.latencyPairs ?? [] };
      const server = result.server;
      return Promise.resolve({
        fairness: fairnessSection(
          result.actors,
          server === undefined ? pairs : { ...pairs, server },
        ),
      });
    },
  };
}
