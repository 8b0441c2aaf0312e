import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { ApfbenchError } from '../../src/errors.js';
import { ok, resources, type KubeClient } from '../../src/kube/index.js';
import {
  flowControlSummary,
  requestCountsByVerbResourceCode,
  type MetricsSampler,
} from '../../src/metrics/server-metrics.js';
import { scrapeMetrics, startMetricsSampler } from '../../src/kube/metrics.js';
import { clientFor, identityOf, startTestCluster } from '../support/cluster.js';

const namespace = 'apfbench';
const existing = 'server-metrics-probe';

let cluster: LocalCluster;
let admin: KubeClient;
let tenant: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  admin = cluster.admin();
  tenant = clientFor(cluster, identityOf(cluster.identities.tenants[0]!));
  ok(
    await admin.create(resources.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: existing, namespace },
    }),
    'create probe configmap',
  );
});

afterAll(async () => {
  await tenant?.transport.close();
  await admin?.transport.close();
  await cluster?.stop();
});

async function sendTenantTraffic(gets: number, missing: number, lists: number): Promise<void> {
  for (let i = 0; i < gets; i++) {
    const name = i < missing ? `server-metrics-missing-${i}` : existing;
    const res = await tenant.get(resources.configmaps, { namespace, name }, { discardBody: true });
    expect(res.status).toBe(i < missing ? 404 : 200);
  }
  for (let i = 0; i < lists; i++) {
    const res = await tenant.list(resources.configmaps, { namespace, discardBody: true });
    expect(res.status).toBe(200);
  }
}

describe('server metrics of a real kube-apiserver', () => {
  it('counts exactly the requests a tenant sent, by verb, resource and code', async () => {
    const before = await scrapeMetrics(admin);
    await sendTenantTraffic(25, 5, 7);
    const after = await scrapeMetrics(admin);

    expect(after.scrapedAt).toBeGreaterThanOrEqual(before.scrapedAt);
    const counts = requestCountsByVerbResourceCode(before, after, {
      resource: 'configmaps',
      group: '',
    });
    expect(counts['GET configmaps 200']).toBe(20);
    expect(counts['GET configmaps 404']).toBe(5);
    expect(counts['LIST configmaps 200']).toBe(7);
    expect(Object.keys(counts).every((k) => k.split(' ')[1] === 'configmaps')).toBe(true);

    const globalDefault = flowControlSummary(before, after)['global-default'];
    expect(globalDefault?.dispatched).toBeGreaterThanOrEqual(32);
    expect(globalDefault?.flowSchemas['global-default']?.dispatched).toBeGreaterThanOrEqual(32);
    expect(globalDefault?.nominalLimitSeats).toBeGreaterThan(0);
    expect(globalDefault?.waitCount).toBeGreaterThanOrEqual(32);
  });

  it('refuses to scrape as a tenant, with a stable code', async () => {
    const err = await scrapeMetrics(tenant).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApfbenchError);
    expect(err).toMatchObject({
      code: 'APFBENCH_METRICS_SCRAPE',
      message: 'GET /metrics: HTTP 403',
    });
  });
});

/**
 * Waits until the sampler holds `n` points (its `before` included). A scrape of a real server on
 * a busy machine can take longer than the interval, so this waits on the points, not on time;
 * the timeout only ends a test that would otherwise hang.
 */
async function pointsReached(sampler: MetricsSampler, n: number): Promise<void> {
  await expect
    .poll(() => sampler.samples().length, { timeout: 60_000, interval: 20 })
    .toBeGreaterThanOrEqual(n);
}

describe('startMetricsSampler', () => {
  it('keeps a time series of APF points between a full before and after', async () => {
    const sampler = await startMetricsSampler(admin, { intervalMs: 150 });
    await sendTenantTraffic(10, 0, 2);
    await pointsReached(sampler, 3);
    const result = await sampler.stop();

    expect(result.failedScrapes).toBe(0);
    expect(result.series.length).toBeGreaterThanOrEqual(4);
    const times = result.series.map((p) => p.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBe(result.before.scrapedAt);
    expect(times.at(-1)).toBe(result.after.scrapedAt);
    for (const point of result.series) {
      expect(point.priorityLevels['global-default']?.nominalLimitSeats).toBeGreaterThan(0);
      // The server process's own cost, at every scrape (server.cpuSeconds, server.peakRssBytes).
      expect(point.cpuSeconds).toBeGreaterThan(0);
      expect(point.residentMemoryBytes).toBeGreaterThan(0);
    }
    const cpu = result.series.map((p) => p.cpuSeconds ?? 0);
    expect(cpu).toEqual([...cpu].sort((a, b) => a - b));
    const first = result.series[0]?.priorityLevels['global-default']?.dispatchedTotal ?? 0;
    const last = result.series.at(-1)?.priorityLevels['global-default']?.dispatchedTotal ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(12);
    expect(
      requestCountsByVerbResourceCode(result.before, result.after, { resource: 'configmaps' }),
    ).toMatchObject({ 'GET configmaps 200': 10, 'LIST configmaps 200': 2 });
    expect(await sampler.stop()).toBe(result);
  });

  // When no scrape starts after the abort is pinned with a fake clock
  // (test/unit/metrics/sampler.test.ts); this one aborts real scrapes of a real server.
  it('stops the periodic scrapes when its signal aborts, keeping what it had', async () => {
    const controller = new AbortController();
    const sampler = await startMetricsSampler(admin, {
      intervalMs: 100,
      signal: controller.signal,
    });
    await pointsReached(sampler, 3);
    controller.abort();
    const taken = sampler.samples().length;
    const result = await sampler.stop();
    expect(result.series.length).toBe(taken + 1);
    expect(result.failedScrapes).toBe(0);
    expect(result.series.at(-1)?.t).toBe(result.after.scrapedAt);
  });
});
