import { expect, it } from 'vitest';
import { resolveTransport } from '../../../src/scenario/index.js';
import { scenarioFromYaml } from '../../support/scenario.js';

it.each([
  // type, group's block, spec's block → resolved
  [
    'kubelet',
    undefined,
    undefined,
    { protocol: 'h2', connection: 'per-actor', maxStreamsPerConnection: 100 },
  ],
  [
    'controller',
    undefined,
    undefined,
    { protocol: 'h2', connection: 'per-actor', maxStreamsPerConnection: 100 },
  ],
  [
    'scheduler',
    undefined,
    undefined,
    { protocol: 'h2', connection: 'per-actor', maxStreamsPerConnection: 100 },
  ],
  [
    'tenant',
    undefined,
    undefined,
    { protocol: 'h2', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'pod-churn',
    undefined,
    undefined,
    { protocol: 'h2', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'kubelet',
    undefined,
    { protocol: 'http1', connection: 'shared' },
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'tenant',
    { connection: 'per-actor' },
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 10 },
    { protocol: 'http1', connection: 'per-actor', maxStreamsPerConnection: 10 },
  ],
  [
    'kubelet',
    { protocol: 'h2', maxStreamsPerConnection: 3 },
    { protocol: 'http1' },
    { protocol: 'h2', connection: 'per-actor', maxStreamsPerConnection: 3 },
  ],
] as const)('%s with group %j and spec %j: %j', (type, own, spec, expected) => {
  expect(resolveTransport({ type, transport: own }, spec)).toEqual(expected);
});

it('reads the block at spec level and per group, and leaves it out when not given', () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: transport }
spec:
  duration: 10s
  transport: { protocol: http1 }
  actors:
    - { name: nodes, type: kubelet, count: 2, transport: { protocol: h2, maxStreamsPerConnection: 50 } }
    - { name: tenants, type: tenant, count: 1, rate: 1, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
`);
  const [nodes, tenants] = scenario.spec.actors;
  expect(scenario.spec.transport).toEqual({ protocol: 'http1' });
  expect(resolveTransport(nodes!, scenario.spec.transport)).toEqual({
    protocol: 'h2',
    connection: 'per-actor',
    maxStreamsPerConnection: 50,
  });
  expect(tenants!.transport).toBeUndefined();
  expect(resolveTransport(tenants!, scenario.spec.transport).protocol).toBe('http1');
});
