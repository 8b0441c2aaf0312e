import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

it('keeps sending on schedule while the API server is paused, and the stall shows in latency', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: stall }
spec:
  duration: 10s
  workers: 1
  fixtures: [{ kind: ConfigMap, count: 5, size: 16 }]
  actors:
    - name: reader
      type: tenant
      identity: tenant-0
      count: 1
      rate: 100/s
      maxInFlight: 1000
      mix: [{ verb: get, resource: configmaps, weight: 1 }]
  faults: [{ kind: pause-apiserver, at: 4s, duration: 2s }]
`);
  // Timed from the load's start by spec.faults, so that slow set-up cannot move the pause.
  const result = await runScenario(scenario, env.target.run, { drainMs: 15_000 });
  const [pause] = result.faults ?? [];
  expect(pause?.kind).toBe('pause-apiserver');
  expect(pause!.toMs - pause!.fromMs).toBeGreaterThanOrEqual(2000);

  expect(result.reason).toBeUndefined();
  expect(result.status).toBe('completed');
  const q = result.actors.reader!.requests;
  // Open loop: the sends follow the schedule whatever the server does.
  expect(q.sent).toBeGreaterThanOrEqual(990);
  expect(q.sent).toBeLessThanOrEqual(1010);
  expect(q.dropped).toBe(0);
  // Latency is measured from the intended send time, so the 2 s stall is not hidden.
  expect(q.latencyMs.max).toBeGreaterThanOrEqual(1900);
  expect(q.latencyMs.p99).toBeGreaterThanOrEqual(1000);
  expect(q.latencyMs.p50).toBeLessThan(500);
  expect(q.byCode['200']).toBe(q.total);
  // The timeline shows the stall: an interval with sends but (almost) no completions.
  const stalled = result.timeline.filter(
    (r) => r.group === 'reader' && r.sent >= 90 && r.completed <= 10,
  );
  expect(stalled.length).toBeGreaterThanOrEqual(1);
});
