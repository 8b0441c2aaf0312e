// spec.webhooks against a real API server: apfbench's webhook is called for the tenant's writes,
// its latency is in theirs, and its configuration is gone after the run; a webhook on a resource
// the server lacks is refused before anything is created.
import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { RUN_LABEL } from '../../src/actors/index.js';
import { resources, type KubeClient } from '../../src/kube/index.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

async function webhookConfigurations(admin: KubeClient, selector?: string): Promise<string[]> {
  const names: string[] = [];
  for (const r of [
    resources.validatingwebhookconfigurations,
    resources.mutatingwebhookconfigurations,
  ]) {
    const list = await admin.listAll(r, selector === undefined ? {} : { labelSelector: selector });
    names.push(...list.items.map((o) => o.metadata.name ?? ''));
  }
  return names;
}

it("calls the webhook for the tenant's writes, adds its latency to theirs, and removes it after", async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: webhook-latency }
spec:
  duration: 8s
  warmup: 2s
  workers: 1
  namespace: webhook-latency
  webhooks:
    - name: slow
      kind: validating
      rules: [{ resources: [configmaps], operations: [CREATE] }]
      latency: 300ms
    - name: tag
      kind: mutating
      rules: [{ resources: [configmaps], operations: [CREATE] }]
  actors:
    - name: writer
      type: tenant
      identity: tenant-0
      count: 1
      rate: 5/s
      mix: [{ verb: create, resource: configmaps, weight: 1, size: 64 }]
    - name: reader
      type: tenant
      identity: tenant-1
      count: 1
      rate: 5/s
      mix: [{ verb: list, resource: configmaps, weight: 1, limit: 1 }]
`);
  const admin = env.target.run.admin;
  let during: string[] = [];
  let runId = '';
  const result = await runScenario(scenario, env.target.run, {
    onStart: () => {
      void webhookConfigurations(admin).then((names) => (during = names));
    },
    onPhase: (line) => {
      const m = /^run (\S+):/.exec(line);
      if (m !== null) runId = m[1]!;
    },
  });
  expect(result.status).toBe('completed');
  expect(runId).toBe(result.runId);
  expect(during.sort()).toEqual([`apfbench-${result.runId}-slow`, `apfbench-${result.runId}-tag`]);

  const [slow, tag] = result.webhooks!;
  const writes = result.actors.writer!.requests;
  // Every create of the measured window passed both webhooks (and the warm-up's too).
  // byCode first: on a failure it says which responses the writes got.
  expect(writes.byCode).toEqual({ '201': writes.total });
  expect(writes.errors).toBe(0);
  expect(slow!.calls).toBeGreaterThanOrEqual(writes.total);
  expect(slow!.byOperation).toEqual({ CREATE: slow!.calls });
  expect(slow!.probes).toBeGreaterThanOrEqual(1);
  expect(slow!.heldMs.p50).toBeGreaterThanOrEqual(300);
  expect(tag!.calls).toBe(slow!.calls);
  // The writes waited for the webhook; the LISTs, which no webhook sees, did not.
  expect(writes.latencyMs.p50).toBeGreaterThanOrEqual(300);
  expect(result.actors.reader!.requests.latencyMs.p50).toBeLessThan(300);
  // The server saw the same calls, each taking the webhook's 300 ms.
  const server = slow!.server!;
  expect(server.admissions).toBeGreaterThanOrEqual(writes.total);
  expect(server.sumSeconds / server.admissions).toBeGreaterThanOrEqual(0.3);
  // The run's cleanup deleted its objects, with the webhooks already gone (they see no DELETE).
  const left = await admin.listAll(resources.configmaps, { namespace: 'webhook-latency' });
  expect(left.items).toEqual([]);
  expect(result.server?.execution?.['global-default']?.count).toBeGreaterThan(0);

  expect(await webhookConfigurations(admin, `${RUN_LABEL}=${result.runId}`)).toEqual([]);
  expect(await webhookConfigurations(admin)).toEqual([]);
});

it('refuses a webhook on a resource the server does not serve, before creating anything', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: webhook-typo }
spec:
  duration: 5s
  workers: 1
  namespace: webhook-typo
  webhooks:
    - name: typo
      kind: validating
      rules: [{ resources: [configmaps, configmapz], operations: [CREATE] }]
  actors:
    - name: writer
      type: tenant
      identity: tenant-0
      count: 1
      rate: 5/s
      mix: [{ verb: create, resource: configmaps, weight: 1 }]
`);
  const admin = env.target.run.admin;
  await expect(runScenario(scenario, env.target.run)).rejects.toMatchObject({
    code: 'APFBENCH_WEBHOOK_RESOURCE',
    message: expect.stringContaining(
      'scenario spec.webhooks[0].rules[0].resources[1]: the server has no resource "configmapz" in the core API group version v1',
    ),
  });
  expect(await webhookConfigurations(admin)).toEqual([]);
  const ns = await admin.get(resources.namespaces, { name: 'webhook-typo' });
  expect(ns.status).toBe(404);
});
