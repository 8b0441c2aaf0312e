// `apfbench run` with spec.webhooks, interrupted: the webhook configuration it registered is gone
// after Ctrl-C, and the run exits 130.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { resources } from '../../src/kube/index.js';
import type { RunResult } from '../../src/result/result.js';
import { runCli } from '../support/cli.js';
import { useTestCluster } from '../support/cluster.js';

const env = useTestCluster();

it('on Ctrl-C removes the webhook configuration it registered and exits 130', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-webhooks-'));
  const scenario = join(dir, 'webhook.yaml');
  await writeFile(
    scenario,
    `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: webhook-interrupt }
spec:
  duration: 2m
  workers: 1
  webhooks:
    - name: slow
      kind: validating
      rules: [{ resources: [configmaps], operations: [CREATE] }]
      latency: 200ms
  actors:
    - name: writer
      type: tenant
      identity: tenant-0
      count: 1
      rate: 20/s
      mix: [{ verb: create, resource: configmaps, weight: 1 }]
`,
  );
  const out = join(dir, 'out');
  let pid = 0;
  let registered: string[] = [];
  let interrupted = false;
  const res = await runCli(
    ['run', scenario, '--kubeconfig', env.cluster.kubeconfigPath, '--out', out, '--no-report'],
    {
      onSpawn: (p) => (pid = p),
      onOutput: (_stdout, stderr) => {
        if (interrupted || !/sent [1-9]\d+/.test(stderr)) return;
        interrupted = true;
        void env.admin.listAll(resources.validatingwebhookconfigurations).then((list) => {
          registered = list.items.map((o) => o.metadata.name ?? '');
          process.kill(pid, 'SIGINT');
        });
      },
      timeoutMs: 120_000,
    },
  );
  expect(interrupted).toBe(true);
  expect(res.code).toBe(130);
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
  expect(result.status).toBe('aborted');
  // It was there while the load ran, and the webhook was called.
  expect(registered).toEqual([`apfbench-${result.runId}-slow`]);
  expect(result.webhooks?.[0]?.calls).toBeGreaterThan(0);
  expect(res.stderr).toContain('removed 1 webhook configuration(s)');
  const left = await env.admin.listAll(resources.validatingwebhookconfigurations);
  expect(left.items).toEqual([]);
});
