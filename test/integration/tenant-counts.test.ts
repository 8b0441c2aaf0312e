import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { resources } from '../../src/kube/index.js';
import {
  clientCountsAsServer,
  requestCountsByVerbResourceCode,
} from '../../src/metrics/server-metrics.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import type { Scenario } from '../../src/actors/scenario.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

/**
 * Runs `scenario` between two scrapes of the server's metrics, then deletes its ConfigMaps:
 * with no fixtures and no cleanup inside the run, only its tenant touches ConfigMaps between
 * the scrapes.
 */
async function runBetweenScrapes(scenario: Scenario) {
  const before = await scrapeMetrics(env.target.run.admin);
  const result = await runScenario(scenario, env.target.run);
  const after = await scrapeMetrics(env.target.run.admin);
  await env.target.run.admin.deleteCollection(resources.configmaps, {
    namespace: 'apfbench',
    labelSelector: `apfbench.dev/run=${result.runId}`,
  });
  expect(result.status).toBe('completed');
  return { result, before, after };
}

it('sends 200/s for 20 s on schedule, and every request is one the server counted', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: counts }
spec:
  duration: 20s
  cleanup: never
  actors:
    - name: tenant
      type: tenant
      identity: tenant-0
      count: 1
      rate: 200/s
      maxInFlight: 64
      mix:
        - { verb: get, resource: configmaps, weight: 40 }
        - { verb: list, resource: configmaps, weight: 10, limit: 50 }
        - { verb: create, resource: configmaps, weight: 20, size: 256 }
        - { verb: update, resource: configmaps, weight: 15 }
        - { verb: patch, resource: configmaps, weight: 10 }
        - { verb: delete, resource: configmaps, weight: 5 }
`);
  const { result, before, after } = await runBetweenScrapes(scenario);
  const q = result.actors.tenant!.requests;
  expect(q.sent).toBeGreaterThanOrEqual(3960);
  expect(q.sent).toBeLessThanOrEqual(4040);
  expect(q.dropped).toBe(0);
  expect(q.total).toBe(q.sent);

  const client = clientCountsAsServer(q.byKey);
  const server = Object.fromEntries(
    Object.entries(
      requestCountsByVerbResourceCode(before, after, { resource: 'configmaps' }),
    ).filter(([, n]) => n > 0),
  );
  expect(server).toEqual(client);
  expect(Object.keys(client).length).toBeGreaterThanOrEqual(6);
});

it('counts the measured window by intended send time, and the timeline both windows', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: counts-warmup }
spec:
  duration: 10s
  warmup: 4s
  cleanup: never
  actors:
    - name: tenant
      type: tenant
      identity: tenant-1
      count: 1
      rate: 200/s
      maxInFlight: 64
      mix:
        - { verb: get, resource: configmaps, weight: 50 }
        - { verb: list, resource: configmaps, weight: 20, limit: 50 }
        - { verb: create, resource: configmaps, weight: 30, size: 256 }
`);
  const { result, before, after } = await runBetweenScrapes(scenario);
  expect(result.attribution).toBe('intended-send-time');
  const q = result.actors.tenant!.requests;
  // The sends intended in the 6 s after the warm-up, and only their responses.
  expect(q.sent).toBeGreaterThanOrEqual(1180);
  expect(q.sent).toBeLessThanOrEqual(1220);
  expect(q.dropped).toBe(0);
  expect(q.total).toBe(q.sent);
  expect(Object.values(q.byCode).reduce((a, b) => a + b, 0)).toBe(q.total);

  // The timeline holds both windows: 2,000 sends due in 10 s (the start-up may drop some at
  // the in-flight cap), and every request the server counted.
  const rows = result.timeline.filter((r) => r.group === 'tenant');
  const sent = rows.reduce((n, r) => n + r.sent, 0);
  const due = sent + rows.reduce((n, r) => n + r.dropped, 0);
  expect(due).toBeGreaterThanOrEqual(1980);
  expect(due).toBeLessThanOrEqual(2020);
  expect(rows.reduce((n, r) => n + r.completed, 0)).toBe(sent);
  const server = Object.values(
    requestCountsByVerbResourceCode(before, after, { resource: 'configmaps' }),
  ).reduce((a, b) => a + b, 0);
  expect(server).toBe(sent);

  // Wall-clock instants: t = 0, the measured window and each row's start agree.
  const clock = result.clock!;
  const t0 = Date.parse(clock.t0);
  expect(Date.parse(result.measuredFrom!)).toBe(t0 + 4000);
  expect(t0).toBeGreaterThanOrEqual(Date.parse(result.startedAt));
  for (const row of rows) expect(Date.parse(row.at!)).toBe(t0 + row.t * 1000);
  expect(t0).toBe(Math.floor(clock.monotonicOriginMs + clock.sample.monotonicMs + 250));
});
