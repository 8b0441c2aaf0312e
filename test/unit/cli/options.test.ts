import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertFaultsOnLocal,
  assertTargetArgs,
  clusterSelectionOf,
  scenarioOverridesOf,
} from '../../../src/cli/options.js';
import { ApfbenchError } from '../../../src/errors.js';
import { RUN_AUDIT_DEFAULT, runAuditLog, runAuditPolicy } from '../../../src/cli/run.js';
import { loadScenarioFile } from '../../../src/actors/scenario.js';

describe('scenarioOverridesOf', () => {
  it.each([
    [{ duration: undefined, namespace: undefined, set: [] }, { set: [] }],
    [
      { duration: '10s', namespace: 'load', set: ['spec.actors[0].rate=50/s'] },
      { duration: '10s', namespace: 'load', set: ['spec.actors[0].rate=50/s'] },
    ],
  ])('%j → %j', (argv, overrides) => {
    expect(scenarioOverridesOf(argv)).toStrictEqual(overrides);
  });
});

describe('clusterSelectionOf', () => {
  it.each([
    ['no flag: the local control plane', { kubeconfig: undefined, 'in-cluster': false }, undefined],
    [
      '--kubeconfig FILE',
      { kubeconfig: 'k.yaml', 'in-cluster': false },
      { kind: 'file', file: 'k.yaml' },
    ],
    [
      '--kubeconfig with no value: kubectl’s choice',
      { kubeconfig: '', 'in-cluster': false },
      { kind: 'default' },
    ],
    ['--in-cluster', { kubeconfig: undefined, 'in-cluster': true }, { kind: 'in-cluster' }],
  ])('%s', (_name, argv, selection) => {
    expect(clusterSelectionOf(argv)).toEqual(selection);
  });
});

describe('assertTargetArgs', () => {
  const none = {
    kubeconfig: undefined,
    'in-cluster': false,
    context: undefined,
    identities: undefined,
  };
  it.each([
    [
      '--in-cluster with --kubeconfig',
      { 'in-cluster': true, kubeconfig: 'k' },
      '--in-cluster and --kubeconfig each name the cluster to load: give one',
    ],
    [
      '--context without a kubeconfig',
      { context: 'c' },
      '--context picks a context of a kubeconfig: it needs --kubeconfig',
    ],
    [
      '--context with --in-cluster',
      { context: 'c', 'in-cluster': true },
      '--context picks a context of a kubeconfig: it needs --kubeconfig',
    ],
    [
      '--audit-policy with --kubeconfig',
      { 'audit-policy': 'Metadata' as const, kubeconfig: 'k' },
      '--audit-policy sets the audit policy of a control plane apfbench starts; --kubeconfig (k) names one it did not start',
    ],
    [
      '--identities for the local control plane',
      { identities: 'ids.json' },
      '--identities needs --kubeconfig: the local control plane apfbench starts makes identities of its own',
    ],
  ])('refuses %s', (_name, args, message) => {
    expect(() => assertTargetArgs({ ...none, ...args })).toThrow(message);
  });

  it('takes --context with --kubeconfig, with or without a value', () => {
    expect(() => assertTargetArgs({ ...none, context: 'c', kubeconfig: '' })).not.toThrow();
    expect(() => assertTargetArgs({ ...none, context: 'c', kubeconfig: 'k' })).not.toThrow();
  });
});

describe('assertFaultsOnLocal', () => {
  const file = 'scenarios/apiserver-restart.yaml';

  it('refuses spec.faults with --kubeconfig, at the line of spec.faults (exit 2)', async () => {
    const scenario = await loadScenarioFile(file);
    const refused = await assertFaultsOnLocal(scenario, file, {
      kubeconfig: '/tmp/x/kubeconfig',
      'in-cluster': false,
    }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApfbenchError);
    const err = refused as ApfbenchError;
    expect(err.code).toBe('APFBENCH_FAULTS_NEED_LOCAL');
    expect(err.kind).toBe('invalid-input');
    const line = readFileSync(file, 'utf8').split('\n').indexOf('  faults:') + 1;
    expect(err.message).toContain(
      `${file}:${line}:3 spec.faults: faults are done to the control plane apfbench starts, and --kubeconfig (/tmp/x/kubeconfig) is a cluster it did not start`,
    );
  });

  it('refuses it with --in-cluster and with --kubeconfig given no value', async () => {
    const scenario = await loadScenarioFile(file);
    for (const [argv, named] of [
      [{ kubeconfig: undefined, 'in-cluster': true }, '--in-cluster'],
      [{ kubeconfig: '', 'in-cluster': false }, '--kubeconfig (the kubeconfig kubectl would use)'],
    ] as const) {
      await expect(assertFaultsOnLocal(scenario, file, argv)).rejects.toThrow(
        `${named} is a cluster it did not start`,
      );
    }
  });

  it('lets the same scenario run on a local control plane, and any scenario without faults', async () => {
    const scenario = await loadScenarioFile(file);
    await expect(
      assertFaultsOnLocal(scenario, file, { kubeconfig: undefined, 'in-cluster': false }),
    ).resolves.toBeUndefined();
    const plain = await loadScenarioFile('scenarios/tenant-smoke.yaml');
    await expect(
      assertFaultsOnLocal(plain, 'scenarios/tenant-smoke.yaml', {
        kubeconfig: '/tmp/x/kubeconfig',
        'in-cluster': false,
      }),
    ).resolves.toBeUndefined();
  });
});

describe('run --audit', () => {
  it('is --audit-policy under another name, with Request for a bare --audit', () => {
    expect(RUN_AUDIT_DEFAULT).toBe('Request');
    expect(runAuditPolicy({ audit: 'Metadata' })).toBe('Metadata');
    expect(runAuditPolicy({ 'audit-policy': { file: 'p.yaml' } })).toEqual({ file: 'p.yaml' });
    expect(runAuditPolicy({})).toBeUndefined();
    expect(runAuditLog('results/x')).toBe('results/x/audit/audit.log');
  });

  it('refuses both at once', () => {
    expect(() => runAuditPolicy({ audit: 'Request', 'audit-policy': 'None' })).toThrow(
      '--audit (Request) and --audit-policy (None) both set the audit policy: give one',
    );
  });
});
