import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  readClusterState,
  startLocalCluster,
  stopLocalCluster,
  type ClusterState,
} from '../../src/cluster/index.js';
import { isAlive, runsBinary } from '../../src/cluster/processes.js';
import { runScenario } from '../../src/engine/coordinator.js';
import { useLocalTarget } from '../support/cluster.js';
import { groupOf } from '../support/result.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget({
  extraTenants: [
    'system:serviceaccount:apfbench:fault-ctrl-0',
    'system:serviceaccount:apfbench:fault-ctrl-1',
  ],
});

const pidOf = (state: ClusterState, name: 'etcd' | 'kube-apiserver') =>
  state.processes.find((p) => p.name === name)!.pid;

it('pauses, restarts and stops the control plane at the scheduled offsets, and the clients recover', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: faults }
spec:
  duration: 32s
  fixtures: [{ kind: ConfigMap, count: 5, size: 16 }]
  actors:
    - name: reader
      type: tenant
      identity: tenant-0
      count: 1
      rate: 50/s
      maxInFlight: 1000
      mix: [{ verb: get, resource: configmaps, weight: 1 }]
    - name: ctrl
      type: controller
      identity: system:serviceaccount:apfbench:fault-ctrl-{i}
      count: 2
      rate: 5/s
      objects: 2
      writersPerObject: 1
  faults:
    - { kind: pause-apiserver, at: 3s, duration: 2s }
    - { kind: restart-apiserver, at: 8s }
    - { kind: stop-etcd, at: 20s, duration: 3s }
`);
  const before = env.cluster.state;
  const result = await runScenario(scenario, env.target.run, { drainMs: 15_000 });

  // Each fault started at its offset from the measured window's start (± 100 ms).
  const faults = result.faults ?? [];
  expect(faults.map((f) => [f.kind, f.scheduledMs, f.error])).toEqual([
    ['pause-apiserver', 3000, undefined],
    ['restart-apiserver', 8000, undefined],
    ['stop-etcd', 20_000, undefined],
  ]);
  const measuredFrom = Date.parse(result.measuredFrom!);
  for (const f of faults) {
    expect(
      Math.abs(f.fromMs - f.scheduledMs),
      `${f.kind} started at ${f.fromMs} ms`,
    ).toBeLessThanOrEqual(100);
    expect(Date.parse(f.startedAt) - measuredFrom).toBeCloseTo(f.fromMs, -1);
    expect(Date.parse(f.endedAt) - measuredFrom).toBeCloseTo(f.toMs, -1);
  }
  const [pause, restart, etcdStop] = faults as [
    (typeof faults)[number],
    (typeof faults)[number],
    (typeof faults)[number],
  ];
  expect(pause.toMs - pause.fromMs).toBeGreaterThanOrEqual(2000);
  expect(etcdStop.toMs - etcdStop.fromMs).toBeGreaterThanOrEqual(3000);

  // Both servers run as new processes, recorded where `cluster down` reads them.
  const after = env.cluster.state;
  expect(pidOf(after, 'kube-apiserver')).not.toBe(pidOf(before, 'kube-apiserver'));
  expect(pidOf(after, 'etcd')).not.toBe(pidOf(before, 'etcd'));
  const onDisk = (await readClusterState(env.cluster.dir))!;
  expect(onDisk.processes.map((p) => [p.name, p.pid])).toEqual(
    after.processes.map((p) => [p.name, p.pid]),
  );
  for (const p of onDisk.processes) expect(await runsBinary(p.pid, p.bin)).toBe(true);

  // Latency from the intended send time covers the pause: a GET sent as it began waited it out.
  const reader = result.actors.reader!.requests;
  console.log(
    `faults: ${JSON.stringify(faults.map((f) => [f.kind, f.fromMs, f.toMs]))}; reader codes ${JSON.stringify(reader.byCode)}, latency max ${reader.latencyMs.max} ms`,
  );
  expect(reader.latencyMs.max).toBeGreaterThanOrEqual(1900);
  // No watch event was lost through the pause, the restart and the etcd outage (write ledger).
  const { watch } = groupOf(result, 'ctrl', 'controller');
  expect(watch.acknowledgedWrites).toBeGreaterThan(0);
  expect(watch.lost).toBe(0);
  expect(watch.restarts).toBeGreaterThanOrEqual(1);

  // After etcd came back the run recovered: from a second after, every interval is answered.
  const recovered = result.timeline.filter(
    (r) => r.group === 'reader' && r.t * 1000 >= etcdStop.toMs + 1000 && r.t < 31,
  );
  expect(recovered.length).toBeGreaterThanOrEqual(3);
  for (const r of recovered) {
    expect(r.errorsByCode, `reader at t=${r.t}s`).toEqual({});
    expect(r.completed).toBeGreaterThan(0);
  }
  expect(restart.toMs).toBeLessThan(etcdStop.fromMs);
  expect(result.cleanup.errors).toEqual([]);
});

it('cluster down stops the servers that a fault restarted', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'apfbench-it-')), 'cp');
  const cluster = await startLocalCluster({
    dir,
    detached: true,
    identities: { nodes: 0, tenants: 1, serviceAccounts: 0 },
  });
  try {
    const first = cluster.state;
    await cluster.restart('kube-apiserver');
    await cluster.restart('etcd', { downMs: 500 });
    const state = (await readClusterState(dir))!;
    expect(pidOf(state, 'kube-apiserver')).not.toBe(pidOf(first, 'kube-apiserver'));
    expect(pidOf(state, 'etcd')).not.toBe(pidOf(first, 'etcd'));
    // Still in start order: kube-apiserver is stopped before its etcd.
    expect(state.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
    const stopped = await stopLocalCluster(dir);
    expect(stopped).toHaveLength(2);
    for (const p of state.processes) expect(isAlive(p.pid), `${p.name} ${p.pid}`).toBe(false);
  } finally {
    await cluster.stop();
  }
});
