import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { resources } from '../../src/kube/index.js';
import {
  clientCountsAsServer,
  requestCountsByVerbResourceCode,
} from '../../src/metrics/server-metrics.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

it('sends 200/s for 20 s on schedule, and every request is one the server counted', async () => {
  // No fixtures and no cleanup inside the run: only the tenant touches ConfigMaps
  // between the two scrapes.
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
  const before = await scrapeMetrics(env.target.run.admin);
  const result = await runScenario(scenario, env.target.run);
  const after = await scrapeMetrics(env.target.run.admin);
  await env.target.run.admin.deleteCollection(resources.configmaps, {
    namespace: 'apfbench',
    labelSelector: `apfbench.dev/run=${result.runId}`,
  });

  expect(result.status).toBe('completed');
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
