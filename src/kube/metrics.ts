// The network side of server metrics: GET /metrics through the kube client. The parsing,
// deltas and the sampler's timing are pure and live in metrics/server-metrics.ts.
import { ApfbenchError } from '../errors.js';
import {
  parseSnapshot,
  startSampler,
  type MetricsSampler,
  type MetricsSamplerOptions,
  type MetricsSnapshot,
} from '../metrics/server-metrics.js';
import type { KubeClient } from './client.js';
import { noResponseHint } from './unreachable.js';

/**
 * GETs `/metrics` as `admin` (which must be allowed to; `system:masters` is, and is exempt from
 * APF, so scraping never competes with the load) and parses it.
 *
 * @throws ApfbenchError `APFBENCH_METRICS_SCRAPE` when the request fails or is not answered
 *   with 200, `APFBENCH_METRICS_PARSE` when the text is malformed.
 */
export async function scrapeMetrics(
  admin: KubeClient,
  opts: { families?: ReadonlySet<string>; signal?: AbortSignal } = {},
): Promise<MetricsSnapshot> {
  let text: string;
  try {
    const res = await admin.transport.pool.request({
      method: 'GET',
      path: '/metrics',
      headers: { ...admin.transport.headers(admin.identity), accept: 'text/plain' },
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ApfbenchError('APFBENCH_METRICS_SCRAPE', `GET /metrics: HTTP ${res.statusCode}`, {
        hint: `scrape as an identity allowed to GET /metrics (${admin.identity.name} is not)`,
      });
    }
    text = await res.body.text();
  } catch (cause) {
    if (cause instanceof ApfbenchError) throw cause;
    throw new ApfbenchError('APFBENCH_METRICS_SCRAPE', `GET /metrics: ${String(cause)}`, {
      hint: noResponseHint((cause as { code?: string } | null)?.code),
      cause,
    });
  }
  return parseSnapshot(text, Date.now(), opts.families);
}

/**
 * Scrapes `/metrics` now (the full `before` snapshot, resolved before this returns so that load
 * starts after it) and then every `intervalMs`, keeping only the APF points of the periodic
 * scrapes so that memory grows by a few numbers per priority level per scrape. Scrapes never
 * overlap.
 *
 * @throws ApfbenchError `APFBENCH_METRICS_INTERVAL` for an interval under 100 ms, or whatever
 *   `scrapeMetrics` throws for the first scrape.
 */
export function startMetricsSampler(
  admin: KubeClient,
  opts: MetricsSamplerOptions,
): Promise<MetricsSampler> {
  return startSampler((o) => scrapeMetrics(admin, o), opts);
}
