import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

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
`);
  const pidBefore = env.cluster.state.processes.find((p) => p.name === 'kube-apiserver')!.pid;
  const restart = (async () => {
    await sleep(4000);
    await env.cluster.restartApiserver({ downMs: 2000 });
  })();
  const result = await runScenario(scenario, env.target.run, { drainMs: 10_000 });
  await restart;

  expect(env.cluster.state.processes.find((p) => p.name === 'kube-apiserver')!.pid).not.toBe(
    pidBefore,
  );
  expect(result.status).toBe('completed');
  const q = result.actors.reader!.requests;
  expect(q.sent).toBeGreaterThanOrEqual(790);
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
  const last = rows.filter((r) => r.t >= 13);
  expect(last.length).toBeGreaterThan(0);
  for (const r of last) expect(r.errorsByCode).toEqual({});
  expect(result.cleanup.errors).toEqual([]);
});
