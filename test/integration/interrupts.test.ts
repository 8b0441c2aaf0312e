import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

it('a Ctrl-C just before the workers start is not lost: the run ends aborted, having sent nothing', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: early-abort }
spec:
  duration: 20s
  workers: 1
  actors:
    - name: tenant
      type: tenant
      identity: tenant-0
      count: 1
      rate: 20/s
      mix: [{ verb: list, resource: configmaps, weight: 1, limit: 1 }]
`);
  const abort = new AbortController();
  const result = await runScenario(scenario, env.target.run, {
    signal: abort.signal,
    // Said after the fixtures and the first /metrics scrape, before the workers are spawned.
    onPhase: (line) => {
      if (/actor instances on \d+ worker thread/.test(line)) abort.abort();
    },
  });
  expect(result.status).toBe('aborted');
  expect(result.reason).toBe('interrupted');
  expect(result.actors.tenant!.requests.sent).toBe(0);
});
