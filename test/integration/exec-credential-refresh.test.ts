// An exec credential plugin whose tokens live 5 s, against a real API server that refuses expired
// ones: the server authenticates bearer tokens through a webhook (this test's HTTP server), which
// accepts a token only before the expiry written into it, and records every token it is asked
// about, when. The server still caches a success for 10 s (its token cache, which no flag turns
// off) and a token that expired would pass from the cache: so the webhook also puts the token's expiry
// in the user's `extra`, and the server's audit log, which records every request with its user
// and when it was received, shows the expiry of the token each request carried.
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { runAgent } from '../../src/agent/agent.js';
import { AgentServer } from '../../src/agent/coordinator-server.js';
import { runOnAgents } from '../../src/agent/run-on-agents.js';
import { runScenario } from '../../src/engine/coordinator.js';
import { openTarget } from '../../src/engine/target.js';
import { startTestCluster } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

/** What the webhook was asked: the token's expiry (ms since the epoch) and when it was asked. */
interface Review {
  readonly token: string;
  readonly expiresAt: number;
  readonly at: number;
}

const TOKEN = /^apfbench-exp-(\d+)-\d+$/;
const EXPIRES = 'apfbench.dev/token-expires';
const reviews: Review[] = [];
let webhook: Server;
let cluster: LocalCluster;
let dir: string;
const auditLog = () => join(dir, 'audit.log');

/** One request as the audit log records it: when the server received it, its token's expiry. */
async function auditedRequests() {
  const lines = (await readFile(auditLog(), 'utf8')).trim().split('\n');
  const events = lines.map(
    (line) =>
      JSON.parse(line) as {
        auditID: string;
        requestReceivedTimestamp: string;
        user: { username: string; extra?: Record<string, string[]> };
        responseStatus?: { code?: number };
      },
  );
  const byID = new Map(events.map((e) => [e.auditID, e]));
  return [...byID.values()].map((e) => ({
    received: Date.parse(e.requestReceivedTimestamp),
    expiresAt: Number(e.user.extra?.[EXPIRES]?.[0]),
    code: e.responseStatus?.code,
  }));
}

/** The TokenReview webhook: tokens of the plugin are valid until the expiry they carry. */
function startWebhook(): Promise<number> {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as { apiVersion: string; spec: { token: string } };
      const at = Date.now();
      const match = TOKEN.exec(review.spec.token);
      let authenticated = false;
      if (match !== null) {
        const expiresAt = Number(match[1]);
        reviews.push({ token: review.spec.token, expiresAt, at });
        authenticated = expiresAt > at;
      }
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: review.apiVersion,
          kind: 'TokenReview',
          status: authenticated
            ? {
                authenticated,
                user: {
                  username: 'exec-admin',
                  groups: ['system:masters'],
                  extra: { [EXPIRES]: [match![1]] },
                },
              }
            : { authenticated, error: 'expired or unknown token' },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    webhook.listen(0, '127.0.0.1', () => resolve((webhook.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apfbench-exec-refresh-'));
  const port = await startWebhook();
  const webhookConfig = join(dir, 'webhook.kubeconfig');
  await writeFile(
    webhookConfig,
    `apiVersion: v1
kind: Config
current-context: webhook
clusters: [{ name: webhook, cluster: { server: "http://127.0.0.1:${port}/" } }]
users: [{ name: apiserver, user: {} }]
contexts: [{ name: webhook, context: { cluster: webhook, user: apiserver } }]
`,
  );
  const policy = join(dir, 'audit-policy.yaml');
  await writeFile(
    policy,
    `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- { level: Metadata, users: [exec-admin] }
- { level: None }
`,
  );
  cluster = await startTestCluster({
    apiserverArgs: [
      `authentication-token-webhook-config-file=${webhookConfig}`,
      // No cache of the webhook's own answers (the server's 10 s token cache stays).
      'authentication-token-webhook-cache-ttl=0s',
      `audit-policy-file=${policy}`,
      `audit-log-path=${auditLog()}`,
    ],
  });
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await new Promise((resolve) => webhook?.close(resolve));
});

/**
 * A kubeconfig whose user is an exec plugin that logs each call (when, and the expiry it gave)
 * and mints a token that carries its expiry: 5 s from now, in whole seconds as Kubernetes times
 * are. In a directory of its own: no identities.json next to it, so every load user is
 * impersonated through the plugin's token.
 */
async function execKubeconfig(): Promise<{ kubeconfig: string; log: string }> {
  const log = join(dir, 'plugin.log');
  const plugin = join(dir, 'plugin.sh');
  await writeFile(
    plugin,
    `#!/bin/sh
now=$(date +%s%3N)
exp=$(( $(date +%s) + 5 ))
echo "$now \${exp}000" >> "$PLUGIN_LOG"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"apfbench-exp-%s000-%s","expirationTimestamp":"%s"}}\\n' \\
  "$exp" "$now" "$(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ)"
`,
  );
  await chmod(plugin, 0o755);
  const kubeconfig = join(await mkdtemp(join(dir, 'kubeconfig-')), 'config');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
current-context: exec
clusters:
- name: local
  cluster:
    server: ${cluster.target.server}
    certificate-authority-data: ${Buffer.from(cluster.target.ca!).toString('base64')}
contexts: [{ name: exec, context: { cluster: local, user: plugin } }]
users:
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${plugin}
      env: [{ name: PLUGIN_LOG, value: ${log} }]
`,
  );
  return { kubeconfig, log };
}

const tenants = (duration: string) =>
  scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: exec-refresh }
spec:
  duration: ${duration}
  warmup: 0s
  workers: 2
  fixtures:
    - { kind: ConfigMap, count: 10, size: 256 }
  actors:
    - name: tenant
      type: tenant
      count: 4
      rate: 10/s
      maxInFlight: 16
      mix:
        - { verb: get, resource: configmaps, weight: 80 }
        - { verb: list, resource: configmaps, weight: 20, limit: 10 }
`);

it('runs the exec plugin again before each token expires, and never sends an expired one', async () => {
  const { kubeconfig, log } = await execKubeconfig();
  const scenario = tenants('20s');
  const target = await openTarget(scenario, { cluster: { kind: 'file', file: kubeconfig } });
  let result;
  try {
    result = await runScenario(scenario, target.run);
  } finally {
    await target.close();
  }
  const ended = Date.parse(result.endedAt);

  expect(result.status).toBe('completed');
  const requests = result.actors.tenant!.requests;
  expect(requests.total).toBeGreaterThan(600);
  expect(requests.byCode['401'] ?? 0).toBe(0);
  expect(result.timeline.flatMap((cell) => Object.keys(cell.errorsByCode))).not.toContain('401');

  // Every token the webhook was asked about was still valid when it was asked...
  expect(reviews.filter((r) => r.expiresAt <= r.at)).toEqual([]);
  // ...and every request the server received carried a token that had not expired yet.
  const audited = await auditedRequests();
  expect(audited.length).toBeGreaterThanOrEqual(requests.total);
  expect(audited.filter((r) => Number.isNaN(r.expiresAt))).toEqual([]);
  expect(audited.filter((r) => r.received >= r.expiresAt)).toEqual([]);
  expect(audited.filter((r) => r.code === 401)).toEqual([]);
  // The load used the fresh tokens: the server saw a new one every few seconds of the run.
  expect(new Set(audited.map((r) => r.expiresAt)).size).toBeGreaterThanOrEqual(6);

  // Each token that expired before the run ended was followed by a call made before it expired.
  const calls = (await readFile(log, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => line.split(' ').map(Number) as [number, number]);
  const lapsed = calls.filter(([, expiresAt]) => expiresAt < ended);
  expect(lapsed.length).toBeGreaterThanOrEqual(5);
  for (const [i, [, expiresAt]] of lapsed.entries()) {
    const next = calls[i + 1];
    expect(next, `a call after the token that expired at ${expiresAt}`).toBeDefined();
    expect(next![0]).toBeLessThan(expiresAt);
  }
}, 180_000);

it('hands an agent each new token: its workers never send an expired one', async () => {
  const { kubeconfig } = await execKubeconfig();
  const scenario = tenants('12s');
  const target = await openTarget(scenario, { cluster: { kind: 'file', file: kubeconfig } });
  const server = await AgentServer.listen({ listen: '127.0.0.1:0', token: 'exec', agents: 1 });
  const agent = runAgent({ coordinator: server.address, index: 0, token: 'exec' });
  const startedAt = Date.now();
  let result;
  try {
    result = await runOnAgents(
      server,
      scenario,
      { joinTimeoutMs: 30_000, workersPerAgent: 2 },
      (placement) => runScenario(scenario, target.run, { placement }),
    );
  } finally {
    await target.close();
    await server.close();
  }
  expect(await agent).toEqual({ runs: [expect.objectContaining({ workers: 2 })] });

  expect(result.status, result.reason).toBe('completed');
  const requests = result.actors.tenant!.requests;
  expect(requests.total).toBeGreaterThan(300);
  expect(requests.byCode['401'] ?? 0).toBe(0);
  // Every request of this run the server received carried a token that had not expired yet...
  const audited = (await auditedRequests()).filter((r) => r.received >= startedAt);
  expect(audited.length).toBeGreaterThanOrEqual(requests.total);
  expect(audited.filter((r) => r.received >= r.expiresAt)).toEqual([]);
  expect(audited.filter((r) => r.code === 401)).toEqual([]);
  // ...and the agent's workers sent the new ones as they came: 12 s of 5 s tokens.
  expect(new Set(audited.map((r) => r.expiresAt)).size).toBeGreaterThanOrEqual(3);
}, 120_000);
