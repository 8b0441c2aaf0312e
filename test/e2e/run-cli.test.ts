import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import type { RunResult } from '../../src/report/result.js';
import { resources, type KubeClient } from '../../src/kube/index.js';
import { runCli } from '../support/cli.js';
import { startTestCluster } from '../support/cluster.js';

describe('apfbench validate', () => {
  it('exits 0 on a valid scenario', async () => {
    const res = await runCli(['validate', 'scenarios/tenant-smoke.yaml']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('valid scenario tenant-smoke');
  });

  it('exits 2 with every problem and its location', async () => {
    const res = await runCli(['validate', 'test/fixtures/invalid/many-problems.yaml']);
    expect(res.code).toBe(2);
    const expected = (await readFile('test/fixtures/invalid/many-problems.expected.txt', 'utf8'))
      .trim()
      .split('\n');
    for (const line of expected) expect(res.stderr).toContain(line);
  });

  it('exits 2 for a bad --set path', async () => {
    const res = await runCli([
      'validate',
      'scenarios/tenant-smoke.yaml',
      '--set',
      'spec.actors[3].rate=5/s',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--set spec.actors[3].rate');
  });
});

describe('apfbench run against a cluster from a kubeconfig', () => {
  let cluster: LocalCluster;
  let admin: KubeClient;
  let scenarioFile: string;

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = cluster.admin();
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-run-'));
    scenarioFile = join(dir, 'long.yaml');
    await writeFile(
      scenarioFile,
      `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: long }
spec:
  duration: 2m
  fixtures: [{ kind: ConfigMap, count: 20, size: 64 }]
  actors:
    - name: writer
      type: tenant
      identity: tenant-1
      count: 1
      rate: 50/s
      mix:
        - { verb: create, resource: configmaps, weight: 3 }
        - { verb: get, resource: configmaps, weight: 1 }
`,
    );
  });

  afterAll(async () => {
    await admin?.transport.close();
    await cluster?.stop();
  });

  it('on Ctrl-C writes an aborted result.json, deletes what it created, and exits 130', async () => {
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-out-'));
    let pid = 0;
    let interrupted = false;
    const res = await runCli(
      ['run', scenarioFile, '--kubeconfig', cluster.kubeconfigPath, '--out', out],
      {
        onSpawn: (p) => (pid = p),
        onOutput: (_stdout, stderr) => {
          // Interrupt once the load is running and has created objects.
          if (!interrupted && /sent [1-9]\d{2,}/.test(stderr)) {
            interrupted = true;
            process.kill(pid, 'SIGINT');
          }
        },
        timeoutMs: 120_000,
      },
    );
    expect(interrupted).toBe(true);
    expect(res.code).toBe(130);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('aborted');
    expect(result.schemaVersion).toBe(1);
    expect(result.actors.writer!.requests.byCode['201']).toBeGreaterThan(50);
    expect(result.cleanup.deleted).toBeGreaterThan(50);
    expect(result.cleanup.errors).toEqual([]);
    const left = await admin.listAll(resources.configmaps, {
      namespace: 'apfbench',
      labelSelector: `apfbench.dev/run=${result.runId}`,
    });
    expect(left.items).toEqual([]);
  });

  it('refuses a kubeconfig that points away from loopback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-remote-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const text = await readFile(cluster.kubeconfigPath, 'utf8');
    await writeFile(
      kubeconfig,
      text.replace(/https:\/\/127\.0\.0\.1:\d+/, 'https://10.255.255.1:6443'),
    );
    const res = await runCli(['run', 'scenarios/tenant-smoke.yaml', '--kubeconfig', kubeconfig]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('APFBENCH_REMOTE_TARGET');
    expect(res.stderr).toContain('--allow-remote');
  });
});
