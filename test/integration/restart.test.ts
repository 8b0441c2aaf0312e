import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import type { Scenario } from '../../src/actors/scenario.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';
import { groupOf } from '../support/result.js';

const env = useLocalTarget({
  extraTenants: [
    'system:serviceaccount:apfbench:restart-ctrl-0',
    'system:serviceaccount:apfbench:restart-ctrl-1',
  ],
});

/**
 * Runs `scenario`, whose spec.faults restarts the API server, and returns the result and the
 * second of the timeline at which the restarted server was ready again, so that "after the
 * restart" does not assume how long a restart takes on a busy machine.
 */
async function runThroughRestart(scenario: Scenario) {
  const result = await runScenario(scenario, env.target.run, { drainMs: 10_000 });
  const restart = result.faults?.find((f) => f.kind === 'restart-apiserver');
  expect(restart?.error).toBeUndefined();
  return { result, readyT: (scenario.spec.warmup + restart!.toMs) / 1000 };
}

it('keeps going through an API server restart and records the outage in the timeline', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: restart }
spec:
  duration: 16s
  fixtures: [{ kind: ConfigMap, count: 5, size: 16 }]
  actors:
    - name: reader
      type: tenant
      identity: tenant-0
      count: 1
      rate: 50/s
      maxInFlight: 500
      mix: [{ verb: get, resource: configmaps, weight: 1 }]
  faults: [{ kind: restart-apiserver, at: 4s, duration: 2s }]
`);
  const pidBefore = env.cluster.state.processes.find((p) => p.name === 'kube-apiserver')!.pid;
  const { result, readyT } = await runThroughRestart(scenario);

  expect(env.cluster.state.processes.find((p) => p.name === 'kube-apiserver')!.pid).not.toBe(
    pidBefore,
  );
  // 2 s or more without a server in a 16 s run at 50/s: well over 5 % of sends got no answer.
  expect(result.status).toBe('degraded');
  expect(result.targetHealth?.unreachable).toBe(true);
  expect(result.reason).toMatch(/got no HTTP response \(ECONNREFUSED: \d+/);
  const q = result.actors.reader!.requests;
  expect(q.sent).toBeGreaterThanOrEqual(790);
  // Only answered requests are in the latency histogram: the refused connections, which fail
  // in microseconds, would otherwise pull every percentile down.
  const transport = Object.entries(q.byCode)
    .filter(([code]) => code.startsWith('error:'))
    .reduce((n, [, c]) => n + c, 0);
  const abandoned =
    (q.byCode['error:ERR_POOL_DESTROYED'] ?? 0) + (q.byCode['error:ERR_POOL_CLOSED'] ?? 0);
  expect(result.targetHealth?.transportErrors).toBe(transport - abandoned);
  expect(q.latencyMs.count).toBe(q.total - (transport - abandoned));
  // Requests during the outage failed at the transport level and are counted as such.
  const transportErrors = Object.entries(q.byCode)
    .filter(([code]) => code.startsWith('error:'))
    .reduce((n, [, c]) => n + c, 0);
  expect(transportErrors).toBeGreaterThan(0);
  expect(q.total).toBe(q.sent);
  // The timeline shows the outage window, then recovery: the last seconds succeed again.
  const rows = result.timeline.filter((r) => r.group === 'reader');
  const outage = rows.filter((r) =>
    Object.keys(r.errorsByCode).some((c) => c.startsWith('error:')),
  );
  expect(outage.length).toBeGreaterThanOrEqual(1);
  expect(outage[0]!.t).toBeGreaterThanOrEqual(3);
  // A second for the client to find the server again after it reported ready.
  const last = rows.filter((r) => r.t >= Math.ceil(readyT) + 1);
  expect(last.length, `rows after the server was ready again at t=${readyT}s`).toBeGreaterThan(0);
  for (const r of last) expect(r.errorsByCode).toEqual({});
  expect(result.cleanup.errors).toEqual([]);
});

it('kubelets resume their heartbeats and controllers their watches after a restart', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: restart-actors }
spec:
  duration: 20s
  actors:
    - name: kubelets
      type: kubelet
      identity: system:node:node-{i}
      count: 4
      renewInterval: 2s
      leaseDuration: 20s
    - name: ctrl
      type: controller
      identity: system:serviceaccount:apfbench:restart-ctrl-{i}
      count: 2
      rate: 5/s
      objects: 2
      writersPerObject: 1
  faults: [{ kind: restart-apiserver, at: 7s, duration: 2s }]
`);
  const { result, readyT } = await runThroughRestart(scenario);

  // Degraded or not depends on how many sends fell in the outage; the status must agree.
  expect(result.status, result.reason).toBe(
    result.targetHealth?.unreachable === true ? 'degraded' : 'completed',
  );
  const { heartbeats } = groupOf(result, 'kubelets', 'kubelet');
  // The outage shows as late renewals (gap > 1.5 × 2 s) but no node went past its 20 s lease.
  expect(heartbeats.late).toBeGreaterThanOrEqual(4);
  expect(heartbeats.missed).toBe(0);
  expect(heartbeats.gapMs.max).toBeGreaterThan(3000);
  // Renewals resumed: most of the 4 × 10 intended renewals happened.
  expect(heartbeats.renewals).toBeGreaterThanOrEqual(28);
  const { watch } = groupOf(result, 'ctrl', 'controller');
  expect(watch.restarts + watch.relists).toBeGreaterThanOrEqual(1);
  // Writes after the restart reached the watchers again.
  const rows = result.timeline.filter((r) => r.group === 'ctrl' && r.t >= Math.ceil(readyT) + 1);
  expect(rows.reduce((n, r) => n + r.completed, 0)).toBeGreaterThan(20);
  // Transport errors are over; a few 409s may remain while caches catch up after the relist.
  for (const r of rows) {
    expect(Object.keys(r.errorsByCode).filter((code) => code !== '409')).toEqual([]);
  }
  const kubeletRows = result.timeline.filter((r) => r.group === 'kubelets');
  expect(
    kubeletRows.some((r) => Object.keys(r.errorsByCode).some((c) => c.startsWith('error:'))),
  ).toBe(true);
});
