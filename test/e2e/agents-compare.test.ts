// `apfbench compare --agents 2` over mutual TLS, as a user runs it: a coordinator that serves the
// agent channel with a certificate a CA made here signed and asks for client certificates, and
// two `apfbench agent` processes with their own. The agents join once and take part in both
// profiles' runs, then exit 0 when the coordinator has no more.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generatePki, issueClientCert } from '../../src/cluster/pki.js';
import type { Comparison } from '../../src/engine/compare.js';
import type { RunResult } from '../../src/result/result.js';
import { repoRoot, runCli, type CliResult, killAll } from '../support/cli.js';

const pids: number[] = [];
afterEach(() => killAll(pids));

const SCENARIO = `
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: agents-compare }
spec:
  duration: 5s
  actors:
    - name: tenant
      type: tenant
      identity: 'tenant-{i}'
      count: 3
      rate: 10/s
      mix:
        - { verb: get, resource: configmaps, weight: 60 }
        - { verb: create, resource: configmaps, weight: 40, size: 256 }
`;

it('compares two profiles on the same two agents, over mutual TLS', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-agents-compare-'));
  const pki = await generatePki(1);
  const files = {
    scenario: [join(dir, 'scenario.yaml'), SCENARIO],
    ca: [join(dir, 'ca.pem'), pki.ca.cert],
    cert: [join(dir, 'coordinator.pem'), pki.serving.cert],
    key: [join(dir, 'coordinator-key.pem'), pki.serving.key],
  } as const;
  for (const [path, text] of Object.values(files)) await writeFile(path, text, { mode: 0o600 });
  const agentFiles = await Promise.all(
    [0, 1].map(async (index) => {
      const pair = await issueClientCert(pki, `agent-${index}`, []);
      const cert = join(dir, `agent-${index}.pem`);
      const key = join(dir, `agent-${index}-key.pem`);
      await writeFile(cert, pair.cert, { mode: 0o600 });
      await writeFile(key, pair.key, { mode: 0o600 });
      return { cert, key };
    }),
  );
  const out = join(dir, 'out');
  const agents: Promise<CliResult>[] = [];
  const coordinator = await runCli(
    [
      'compare',
      files.scenario[0],
      '--profile',
      join(repoRoot, 'profiles/k8s-defaults.yaml'),
      '--profile',
      join(repoRoot, 'profiles/isolate-tenants.yaml'),
      '--agents',
      '2',
      '--agent-listen',
      '127.0.0.1:0',
      // Mutual TLS alone authenticates the agents: no shared secret.
      '--agent-tls-cert',
      files.cert[0],
      '--agent-tls-key',
      files.key[0],
      '--agent-ca',
      files.ca[0],
      '--out',
      out,
      '--no-report',
    ],
    {
      timeoutMs: 150_000,
      onSpawn: (pid) => pids.push(pid),
      onOutput: (_out, err) => {
        const address = /waiting for agents on (127\.0\.0\.1:\d+)/.exec(err)?.[1];
        if (address === undefined || agents.length > 0) return;
        for (const index of [0, 1]) {
          agents.push(
            runCli(
              [
                'agent',
                '--coordinator',
                address,
                '--index',
                String(index),
                '--agent-ca',
                files.ca[0],
                '--agent-tls-cert',
                agentFiles[index]!.cert,
                '--agent-tls-key',
                agentFiles[index]!.key,
              ],
              { timeoutMs: 150_000, onSpawn: (pid) => pids.push(pid) },
            ),
          );
        }
      },
    },
  );
  const ended = await Promise.all(agents);
  expect(coordinator.code, coordinator.stderr).toBe(0);
  expect(ended).toHaveLength(2);
  for (const a of ended) {
    expect(a.code, a.stderr).toBe(0);
    // Both runs on one session: joined once, two runs done, then told there are no more.
    expect(a.stderr.match(/run \S+ done \(\d+ instances/g)).toHaveLength(2);
    expect(a.stderr).toContain('the coordinator has no more runs');
  }
  expect(coordinator.stderr.match(/agent 0 joined from/g)).toHaveLength(1);

  const comparison = JSON.parse(await readFile(join(out, 'comparison.json'), 'utf8')) as Comparison;
  expect(comparison.status).toBe('completed');
  expect(comparison.runs.map((r) => [r.profile, r.status])).toEqual([
    ['k8s-defaults', 'completed'],
    ['isolate-tenants', 'completed'],
  ]);
  const results = await Promise.all(
    comparison.runs.map(
      async (r) => JSON.parse(await readFile(join(out, r.result), 'utf8')) as RunResult,
    ),
  );
  for (const r of results) {
    expect(r.agents?.map((a) => [a.index, a.status])).toEqual([
      [0, 'completed'],
      [1, 'completed'],
    ]);
    expect(r.actors.tenant!.requests.sent).toBeGreaterThan(0);
    // Each agent's pools came back with its workers' reports.
    expect(r.clientConnections?.length).toBeGreaterThan(0);
  }
  // The same instances on the same agent in both runs.
  expect(results[1]!.agents!.map((a) => a.instances)).toEqual(
    results[0]!.agents!.map((a) => a.instances),
  );
}, 180_000);
