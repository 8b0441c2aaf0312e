import { describe, expect, it } from 'vitest';
import {
  assertTargetArgs,
  clusterSelectionOf,
  scenarioOverridesOf,
} from '../../../src/cli/options.js';

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
