// The `transport` block resolved per group: the group's fields, else the spec's, else the
// defaults, `connection` being its actor type's (ActorDefinition.connection).
import { expect, it } from 'vitest';
import { transportOf, type ActorGroup } from '../../../src/actors/index.js';
import { resolveTransport } from '../../../src/scenario/index.js';
import { scenarioFromYaml } from '../../support/scenario.js';

it.each([
  // type, group's block, spec's block → resolved
  [
    'kubelet',
    undefined,
    undefined,
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'controller',
    undefined,
    undefined,
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'scheduler',
    undefined,
    undefined,
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'tenant',
    undefined,
    undefined,
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'pod-churn',
    undefined,
    undefined,
    { protocol: 'http1', connection: 'shared', maxStreamsPerConnection: 100 },
  ],
  [
    'kubelet',
    undefined,
    { protocol: 'h2' },
    { protocol: 'h2', connection: 'per-actor', maxStreamsPerConnection: 100 },
  ],
  [
    'tenant',
    undefined,
    { protocol: 'h2' },
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
  // Only `type` and `transport` are read: the rest of the group does not matter here.
  expect(transportOf({ type, transport: own } as ActorGroup, spec)).toEqual(expected);
});

it('takes the default connection it is given over h2 when neither block sets one', () => {
  expect(resolveTransport({}, { protocol: 'h2' }, 'per-actor').connection).toBe('per-actor');
  expect(resolveTransport({}, undefined, 'per-actor')).toEqual({
    protocol: 'http1',
    connection: 'shared',
    maxStreamsPerConnection: 100,
  });
  expect(resolveTransport({}, { protocol: 'http1' }, 'shared')).toEqual({
    protocol: 'http1',
    connection: 'shared',
    maxStreamsPerConnection: 100,
  });
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
  expect(transportOf(nodes!, scenario.spec.transport)).toEqual({
    protocol: 'h2',
    connection: 'per-actor',
    maxStreamsPerConnection: 50,
  });
  expect(tenants!.transport).toBeUndefined();
  expect(transportOf(tenants!, scenario.spec.transport).protocol).toBe('http1');
});

it('gives a group that asks for its certificates connections of its own, over http1 too', () => {
  const kubelet = (auth: 'certificate' | 'token' | undefined) =>
    ({ type: 'kubelet', ...(auth === undefined ? {} : { auth }) }) as ActorGroup;
  expect(transportOf(kubelet('certificate'), undefined)).toEqual({
    protocol: 'http1',
    connection: 'per-actor',
    maxStreamsPerConnection: 100,
  });
  expect(transportOf(kubelet('token'), undefined).connection).toBe('shared');
  expect(transportOf(kubelet(undefined), undefined).connection).toBe('shared');
  // An explicit connection wins; a shared one with auth: certificate is refused by validation.
  expect(transportOf(kubelet('certificate'), { connection: 'shared' }).connection).toBe('shared');
});
