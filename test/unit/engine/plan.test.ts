import { describe, expect, it } from 'vitest';
import {
  defaultWorkers,
  planRun,
  shardInstances,
  workerCount,
  type GroupPlan,
} from '../../../src/engine/plan.js';
import { scenarioFromYaml } from '../../support/scenario.js';

/** A scenario of `actors` (YAML flow mappings, one per line) with the given spec fields. */
function scenario(actors: string[], spec = 'duration: 10s', fixtures = '') {
  return scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: plan }
spec:
  ${spec.split('\n').join('\n  ')}
  ${fixtures}
  actors:
${actors.map((a) => `    - ${a}`).join('\n')}
`);
}

const mix = 'mix: [{ verb: get, resource: configmaps, weight: 1 }]';

describe('planRun: expected requests per group', () => {
  it.each<[string, string, string, GroupPlan['requests']]>([
    [
      'tenants at a constant rate: rate × count × time',
      `{ name: t, type: tenant, count: 3, rate: 10/s, ${mix} }`,
      'duration: 10s\nwarmup: 2s',
      { total: 300, measured: 240 },
    ],
    [
      'tenants on a ramp: the integral of the ramp, cut at the warm-up',
      `{ name: t, type: tenant, count: 2, startRate: 0/s, stages: [{ duration: 4s, target: 10/s }], ${mix} }`,
      'duration: 10s\nwarmup: 2s',
      { total: 40, measured: 30 },
    ],
    [
      'pod churn: a create per pod, a delete per pod whose lifetime ended',
      '{ name: p, type: pod-churn, count: 2, rate: 5/s, lifetime: 3s }',
      'duration: 10s',
      { total: 170, measured: 170 },
    ],
    [
      'controllers: object creates and LIST pages at the start, a PUT per reconcile',
      '{ name: c, type: controller, count: 4, rate: 2/s, objects: 10, pageSize: 4, watchersPerSet: 2 }',
      'duration: 10s\nwarmup: 5s',
      { total: 20 + 12 + 80, measured: 40 },
    ],
    [
      'kubelets: registration, lease sync and renewals, the pod LIST, from staggered starts',
      '{ name: k, type: kubelet, count: 2 }',
      'duration: 60s\nwarmup: 5s',
      // Starts at 2.5 s and 7.5 s; renewals every 10.2 s on average; one status report each, on
      // the status loop's first tick (the next is due after 5 m); node 0's is in the warm-up.
      { total: 20, measured: 15 },
    ],
    [
      'kubelets: a status report per report interval, rounded up to the status loop ticks',
      '{ name: k, type: kubelet, count: 1, statusReportInterval: 20s, watchPods: false }',
      'duration: 60s',
      // Start 5 s: 1 registration, 2 + 6 lease requests, reports at 0, 20.4 s and 40.8 s after it.
      { total: 11, measured: 11 },
    ],
    [
      'a scheduler only answers other groups: no figure',
      '{ name: s, type: scheduler, count: 1, nodes: 3 }',
      'duration: 10s',
      undefined,
    ],
  ])('%s', (_name, actor, spec, expected) => {
    const [group] = planRun(scenario([actor], spec), 1).groups;
    if (expected === undefined) expect(group?.requests).toBeUndefined();
    else {
      expect(group?.requests?.total).toBeCloseTo(expected.total, 6);
      expect(group?.requests?.measured).toBeCloseTo(expected.measured, 6);
    }
  });

  it('sums the writing groups’ ledger writes', () => {
    const plan = planRun(
      scenario([
        '{ name: a, type: controller, count: 2, rate: 1/s }',
        '{ name: b, type: controller, count: 3, rate: 2/s, writersPerObject: 1 }',
        `{ name: t, type: tenant, count: 1, rate: 5/s, ${mix} }`,
      ]),
      2,
    );
    expect(plan.groups.map((g) => g.writes)).toEqual([20, 20, 0]);
    expect(plan.writes).toBe(40);
  });
});

describe('planRun: workers, connections, fixtures', () => {
  const two = [
    `{ name: a, type: tenant, count: 3, rate: 1/s, maxInFlight: 8, ${mix} }`,
    '{ name: b, type: kubelet, count: 2 }',
  ];

  it('places instances round-robin over the workers, every group spread', () => {
    const shards = shardInstances(scenario(two), 2);
    expect(shards.map((s) => s.map((i) => `${i.group}${i.index}`))).toEqual([
      ['a0', 'a2', 'b1'],
      ['a1', 'b0'],
    ]);
    expect(shards[0]?.[0]).toEqual({ group: 'a', index: 0, count: 3 });
  });

  it('uses no more workers than there are instances', () => {
    expect(planRun(scenario(two), 10).workers).toHaveLength(5);
  });

  it.each([
    ['in-flight caps plus held watches', two, 1, [3 * 8 + 2 * 2 + 2]],
    ['per worker', two, 2, [8 + 8 + 2 + 1, 8 + 2 + 1]],
    [
      'in-flight sockets capped at 1024, held ones on top',
      [
        `{ name: a, type: tenant, count: 3, rate: 1/s, maxInFlight: 600, ${mix} }`,
        '{ name: c, type: controller, count: 1, rate: 1/s, maxInFlight: 4 }',
      ],
      1,
      [1024 + 1],
    ],
  ])('sizes each worker’s pool: %s', (_name, actors, workers, expected) => {
    const plan = planRun(scenario(actors), workers);
    expect(plan.workers.map((w) => w.connections)).toEqual(expected);
  });

  it('counts instances per group on each worker', () => {
    expect(planRun(scenario(two), 2).workers.map((w) => w.byGroup)).toEqual([
      { a: 2, b: 1 },
      { a: 1, b: 1 },
    ]);
  });

  it('lists fixtures with their objects and payload bytes', () => {
    const plan = planRun(
      scenario(
        two,
        'duration: 10s',
        'fixtures: [{ kind: ConfigMap, count: 100, size: 1Ki }, { kind: Secret, namespace: other, count: 2, size: 10 }]',
      ),
      1,
    );
    expect(plan.fixtures).toEqual([
      { kind: 'ConfigMap', namespace: 'apfbench', count: 100, bytes: 102_400 },
      { kind: 'Secret', namespace: 'other', count: 2, bytes: 20 },
    ]);
  });
});

describe('workerCount', () => {
  const oneTenant = [`{ name: a, type: tenant, count: 1, rate: 1/s, ${mix} }`];
  const withWorkers = scenario(oneTenant, 'duration: 10s\nworkers: 3');
  const without = scenario(oneTenant);

  it.each([
    ['the flag first', withWorkers, 2, 8, 2],
    ['then spec.workers', withWorkers, undefined, 8, 3],
    ['then half the cores', without, undefined, 6, 3],
    ['at most four', without, undefined, 64, 4],
    ['at least one', without, undefined, 1, 1],
  ])('%s', (_name, s, flag, cores, expected) => {
    expect(workerCount(s, flag, cores)).toBe(expected);
  });

  it('defaults to half the cores, between 1 and 4', () => {
    expect([1, 2, 3, 5, 8, 16].map((c) => defaultWorkers(c))).toEqual([1, 1, 1, 2, 4, 4]);
  });
});
