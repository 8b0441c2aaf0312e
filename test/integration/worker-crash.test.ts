import { afterEach, expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { CRASH_EXIT_CODE, CRASH_FAULT_ENV } from '../../src/engine/crash-fault.js';
import { resources } from '../../src/kube/index.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

afterEach(() => {
  delete process.env[CRASH_FAULT_ENV];
});

// Two workers, one group each (instances are dealt round-robin): `steady` runs on worker 0,
// `doomed` on worker 1, which the test crashes 3 s into a 30 s run.
const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: worker-crash }
spec:
  duration: 30s
  warmup: 0s
  workers: 2
  actors:
    - name: steady
      type: tenant
      identity: tenant-0
      count: 1
      rate: 20/s
      mix: [{ verb: create, resource: configmaps, weight: 1, size: 64 }]
    - name: doomed
      type: tenant
      identity: tenant-1
      count: 1
      rate: 20/s
      mix: [{ verb: create, resource: configmaps, weight: 1, size: 64 }]
`);
const crashAtMs = 3000;

it.each([
  {
    how: 'an uncaught exception',
    fault: `1:${crashAtMs}`,
    says: `crash injected by ${CRASH_FAULT_ENV} into worker 1`,
  },
  {
    how: 'process.exit',
    fault: `1:${crashAtMs}:exit`,
    says: `exited with code ${CRASH_EXIT_CODE}`,
  },
])(
  'a worker that dies by $how fails the run, stops the others, keeps what was reported and deletes what the run created',
  async ({ fault, says }) => {
    process.env[CRASH_FAULT_ENV] = fault;
    const result = await runScenario(scenario, env.target.run);

    expect(result.status).toBe('failed');
    expect(result.reason).toContain('worker 1');
    expect(result.reason).toContain(says);
    expect(result.reason).not.toMatch(/^\s+at /m);

    // The other worker stopped with it: the measured window ends at the crash, not at 30 s.
    const windowMs = Date.parse(result.measuredTo!) - Date.parse(result.measuredFrom!);
    expect(windowMs).toBeGreaterThanOrEqual(crashAtMs - 500);
    expect(windowMs).toBeLessThan(crashAtMs + 5000);
    const steady = result.actors.steady!.requests;
    expect(steady.byCode['201']).toBeGreaterThan(20);
    expect(steady.sent).toBeLessThan((20 * (crashAtMs + 5000)) / 1000);
    // What the dead worker reported before it died is kept: its first seconds of creates.
    const doomed = result.actors.doomed!.requests;
    expect(doomed.byCode['201']).toBeGreaterThan(20);
    const doomedRows = result.timeline.filter((row) => row.group === 'doomed' && row.sent > 0);
    expect(doomedRows.length).toBeGreaterThanOrEqual(2);

    // Every object of the run is deleted, also those the dead worker created and never reported.
    expect(result.cleanup.errors).toEqual([]);
    expect(result.cleanup.deleted).toBeGreaterThanOrEqual(
      steady.byCode['201']! + doomed.byCode['201']!,
    );
    const left = await env.cluster.admin().listAll(resources.configmaps, {
      namespace: 'apfbench',
      labelSelector: `apfbench.dev/run=${result.runId}`,
    });
    expect(left.items).toEqual([]);
  },
);
