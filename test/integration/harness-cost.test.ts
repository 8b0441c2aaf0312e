import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { resources } from '../../src/kube/index.js';
import { stallPhaseSchema } from '../../src/metrics/stalls.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

it("records the harness's CPU, the server's over the same window, and their ratio", async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: harness-cost }
spec:
  duration: 8s
  warmup: 2s
  cleanup: never
  actors:
    - name: tenant
      type: tenant
      identity: tenant-{i}
      count: 2
      rate: 100/s
      maxInFlight: 32
      mix:
        - { verb: list, resource: configmaps, weight: 1, limit: 10 }
        - { verb: create, resource: configmaps, weight: 1, size: 256 }
`);
  // The process's own CPU (all threads) and memory, read by the test around the run.
  const before = process.cpuUsage();
  const result = await runScenario(scenario, env.target.run, { workers: 2 });
  const around = process.cpuUsage(before);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  await env.target.run.admin.deleteCollection(resources.configmaps, {
    namespace: 'apfbench',
    labelSelector: `apfbench.dev/run=${result.runId}`,
  });
  expect(result.status).toBe('completed');
  const aroundSeconds = (around.user + around.system) / 1e6;
  const gen = result.generator;

  // The harness's CPU over the measured window is within the whole run's, and that within what
  // the process used around the call (figures are rounded to ms).
  expect(gen.harnessCpuSeconds).toBeGreaterThan(0);
  expect(gen.harnessRunCpuSeconds).toBeGreaterThanOrEqual(gen.harnessCpuSeconds!);
  expect(gen.harnessRunCpuSeconds).toBeLessThanOrEqual(aroundSeconds + 0.001);
  expect(gen.harnessPeakRssBytes).toBeGreaterThan(0);
  expect(gen.harnessPeakRssBytes).toBeLessThanOrEqual(maxRssBytes);

  // The server's over the same window, and the ratio of the two.
  const server = result.server!;
  expect(server.cpuSeconds).toBeGreaterThan(0);
  expect(server.peakRssBytes).toBeGreaterThan(0);
  expect(gen.harnessServerCpuRatio).toBeCloseTo(gen.harnessCpuSeconds! / server.cpuSeconds!, 2);

  // Each worker thread's CPU (Linux) and the worst event-loop block of any thread, with its phase.
  expect(gen.workerCpu?.runMs).toBeGreaterThan(0);
  expect(gen.workerCpu!.runMs / 1000).toBeLessThanOrEqual(gen.harnessRunCpuSeconds!);
  expect(gen.worstStall?.ms).toBeGreaterThan(0);
  expect(stallPhaseSchema.options).toContain(gen.worstStall?.phase);
});
