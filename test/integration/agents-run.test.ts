// A distributed run on this machine: a coordinator (runScenario with its workers on agents) and
// three `apfbench agent` processes (the compiled CLI) on loopback, against a real control plane.
import { afterEach, expect, it } from 'vitest';
import { AgentServer } from '../../src/agent/coordinator-server.js';
import { runOnAgents } from '../../src/agent/run-on-agents.js';
import { runScenario } from '../../src/engine/coordinator.js';
import type { FromWorker } from '../../src/engine/protocol.js';
import type { WorkerPlacement } from '../../src/engine/worker-handle.js';
import { resources } from '../../src/kube/index.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import { decode } from '../../src/metrics/histogram.js';
import {
  clientCountsAsServer,
  requestCountsByVerbResourceCode,
} from '../../src/metrics/server-metrics.js';
import { runCli, type CliResult, killAll } from '../support/cli.js';
import { useLocalTarget } from '../support/cluster.js';
import { groupOf } from '../support/result.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();
const TOKEN = 'agents-it-secret';
const pids: number[] = [];
let server: AgentServer | undefined;

afterEach(async () => {
  killAll(pids);
  await server?.close();
  server = undefined;
});

const scenario = (duration: string, cleanup: string, more = '') =>
  scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: agents }
spec:
  duration: ${duration}
  cleanup: ${cleanup}
  actors:
    - name: tenant
      type: tenant
      identity: 'tenant-{i}'
      count: 4
      rate: 25/s
      maxInFlight: 16
      mix:
        - { verb: get, resource: configmaps, weight: 50 }
        - { verb: list, resource: configmaps, weight: 10, limit: 20 }
        - { verb: create, resource: configmaps, weight: 40, size: 256 }
${more}`);

function startAgents(address: string): Promise<CliResult>[] {
  return [0, 1, 2].map((index) =>
    runCli(['agent', '--coordinator', address, '--index', String(index), '--agent-token', TOKEN], {
      onSpawn: (pid) => pids.push(pid),
      timeoutMs: 120_000,
    }),
  );
}

/** The placement, with every latency value each worker reports counted on the side. */
function counting(placement: WorkerPlacement, counts: Map<number, number>): WorkerPlacement {
  return {
    ...placement,
    spawn: (i) => {
      const handle = placement.spawn(i);
      handle.on('message', (m: FromWorker) => {
        if (m.type !== 'interval' && m.type !== 'done') return;
        for (const s of m.snapshots) {
          counts.set(i, (counts.get(i) ?? 0) + decode(s.latency).hdr.totalCount);
        }
      });
      return handle;
    },
  };
}

/** Three object sets of two controllers (a writer and a watcher each): one set per agent. */
const CONTROLLERS = `
    - name: ctrl
      type: controller
      identity: system:serviceaccount:apfbench:ctrl-{i}
      count: 6
      watchersPerSet: 2
      writersPerObject: 1
      rate: 10/s
      objects: 1
      objectSize: 256
`;

it('runs on three agents: merged counts are the server’s, the merged histogram all of theirs', async () => {
  server = await AgentServer.listen({ listen: '127.0.0.1:0', token: TOKEN, agents: 3 });
  const agents = startAgents(server.address);
  const s = scenario('8s', 'never', CONTROLLERS);
  const counts = new Map<number, number>();
  const before = await scrapeMetrics(env.target.run.admin);
  const result = await runOnAgents(
    server,
    s,
    { joinTimeoutMs: 60_000, workersPerAgent: 1 },
    (placement) =>
      runScenario(s, env.target.run, { placement: counting(placement, counts), workers: 1 }),
  );
  const after = await scrapeMetrics(env.target.run.admin);
  await env.target.run.admin.deleteCollection(resources.configmaps, {
    namespace: 'apfbench',
    labelSelector: `apfbench.dev/run=${result.runId}`,
  });
  // No more runs: ending the sessions lets the agents exit 0.
  await server.close();
  server = undefined;
  for (const a of await Promise.all(agents)) expect(a.code, a.stderr).toBe(0);

  expect(result.status, result.reason).toBe('completed');
  expect(result.agents?.map((a) => [a.index, a.status, a.workers])).toEqual([
    [0, 'completed', 1],
    [1, 'completed', 1],
    [2, 'completed', 1],
  ]);
  expect(result.agents!.reduce((n, a) => n + a.instances, 0)).toBe(4 + 6);
  for (const a of result.agents!)
    expect(Math.abs(a.offsetMs)).toBeLessThanOrEqual(a.rttMs / 2 + 1e-3);

  const q = result.actors.tenant!.requests;
  expect(q.sent).toBeGreaterThan(0);
  // Every request of both groups, as the server counted them (its WATCH count comes when a watch
  // ends, the controllers' after the last scrape, so watches are left out on both sides).
  const ctrl = groupOf(result, 'ctrl', 'controller');
  const both: Record<string, number> = { ...q.byKey };
  for (const [k, n] of Object.entries(ctrl.requests.byKey)) both[k] = (both[k] ?? 0) + n;
  const noWatch = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).filter(([k, n]) => n > 0 && !k.startsWith('WATCH ')));
  expect(
    noWatch(requestCountsByVerbResourceCode(before, after, { resource: 'configmaps' })),
  ).toEqual(noWatch(clientCountsAsServer(both)));
  // Each agent's ledger, merged: every acknowledged write of a set reached its other watcher
  // (one writer and one watcher each, on one agent), and the writes are the server's PUTs.
  const { watch, conflicts } = ctrl;
  expect(watch.acknowledgedWrites).toBe(conflicts.writes);
  expect(watch.acknowledgedWrites).toBeGreaterThan(0);
  expect(watch.expectedDeliveries).toBe(2 * watch.acknowledgedWrites);
  expect(watch.lost).toBe(0);
  // An event that came before its writer read the write's response is in beforeAck, not latencyMs.
  expect(watch.latencyMs.count + watch.beforeAck).toBe(watch.expectedDeliveries);
  // Each agent's connection pools, relayed with its workers' last reports.
  // (Pools by the workers' group sets: with the shared default, one worker may pool both.)
  const pooled = new Set(result.clientConnections?.flatMap((c) => c.groups));
  expect([...pooled].sort()).toEqual(['ctrl', 'tenant']);
  expect(result.clientConnections?.every((c) => c.opened > 0)).toBe(true);
  // No warm-up: the measured histograms hold every interval's; their counts are the sum of the
  // agents' workers' counts, and every completed tenant request with a response is in it.
  expect(counts.size).toBe(3);
  const sum = [...counts.values()].reduce((a, b) => a + b, 0);
  // The workers' values are both groups'; the merged histograms hold all of them.
  expect(q.latencyMs.count + ctrl.requests.latencyMs.count).toBe(sum);
  expect(q.latencyMs.count).toBe(q.total);
}, 180_000);

it('finishes when an agent is killed mid-run, naming it and its instances, and cleans up', async () => {
  server = await AgentServer.listen({ listen: '127.0.0.1:0', token: TOKEN, agents: 3 });
  const agents = startAgents(server.address);
  // The default cleanup (on-success) deletes a partial run's objects, as a completed run's.
  const s = scenario('12s', 'on-success');
  const result = await runOnAgents(
    server,
    s,
    { joinTimeoutMs: 60_000, workersPerAgent: 1 },
    (placement) =>
      runScenario(s, env.target.run, {
        placement,
        workers: 1,
        onStart: () => setTimeout(() => process.kill(pids[1]!, 'SIGKILL'), 4000),
      }),
  );
  await server.close();
  server = undefined;
  const ended = await Promise.all(agents);
  expect(ended[1]!.signal).toBe('SIGKILL');

  expect(result.status).toBe('partial');
  expect(result.reason).toMatch(/^agent 1 \(.+\) lost: .*its instances tenant\/\d/);
  const lost = result.agents!.find((a) => a.index === 1)!;
  expect(lost.status).toBe('lost');
  expect(lost.lostInstances!.length).toBe(lost.instances);
  expect(result.agents!.filter((a) => a.status === 'completed')).toHaveLength(2);
  // The others ran to the deadline: their last intervals are in the timeline.
  expect(
    Math.max(...result.timeline.filter((r) => r.sent > 0).map((r) => r.t)),
  ).toBeGreaterThanOrEqual(10);
  // The lost agent's intervals before it died are in the timeline.
  expect(result.timeline.some((r) => r.sent > 0)).toBe(true);
  expect(result.cleanup.errors).toEqual([]);
  const left = await env.target.run.admin.list(resources.configmaps, {
    namespace: 'apfbench',
    labelSelector: `apfbench.dev/run=${result.runId}`,
  });
  expect((left.body as { items: unknown[] }).items).toEqual([]);
}, 180_000);
