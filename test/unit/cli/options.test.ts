import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertFaultsOnLocal, scenarioOverridesOf } from '../../../src/cli/options.js';
import { ApfbenchError } from '../../../src/errors.js';
import { loadScenarioFile } from '../../../src/actors/scenario.js';

describe('scenarioOverridesOf', () => {
  it.each([
    [{ duration: undefined, set: [] }, { set: [] }],
    [
      { duration: '10s', set: ['spec.actors[0].rate=50/s'] },
      { duration: '10s', set: ['spec.actors[0].rate=50/s'] },
    ],
  ])('%j → %j', (argv, overrides) => {
    expect(scenarioOverridesOf(argv)).toStrictEqual(overrides);
  });
});

describe('assertFaultsOnLocal', () => {
  const file = 'scenarios/apiserver-restart.yaml';

  it('refuses spec.faults with --kubeconfig, at the line of spec.faults (exit 2)', async () => {
    const scenario = await loadScenarioFile(file);
    const refused = await assertFaultsOnLocal(scenario, file, '/tmp/x/kubeconfig').catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ApfbenchError);
    const err = refused as ApfbenchError;
    expect(err.code).toBe('APFBENCH_FAULTS_NEED_LOCAL');
    expect(err.kind).toBe('invalid-input');
    const line = readFileSync(file, 'utf8').split('\n').indexOf('  faults:') + 1;
    expect(err.message).toContain(
      `${file}:${line}:3 spec.faults: faults are done to the control plane apfbench starts, and --kubeconfig /tmp/x/kubeconfig names a cluster it did not start`,
    );
  });

  it('lets the same scenario run on a local control plane, and any scenario without faults', async () => {
    const scenario = await loadScenarioFile(file);
    await expect(assertFaultsOnLocal(scenario, file, undefined)).resolves.toBeUndefined();
    const plain = await loadScenarioFile('scenarios/tenant-smoke.yaml');
    await expect(
      assertFaultsOnLocal(plain, 'scenarios/tenant-smoke.yaml', '/tmp/x/kubeconfig'),
    ).resolves.toBeUndefined();
  });
});
