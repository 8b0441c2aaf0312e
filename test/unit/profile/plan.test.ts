import { describe, expect, it } from 'vitest';
import { parseProfile, type Profile } from '../../../src/profile/index.js';
import {
  AUTOUPDATE_ANNOTATION,
  diffValues,
  formatActions,
  inferServerConcurrency,
  mergeSnapshots,
  nominalSeats,
  planApply,
  planRestore,
  refKey,
  seatsMatch,
  settle,
  takeSnapshot,
  touchedRefs,
  type FlowControlObject,
} from '../../../src/profile/plan.js';

function profileOf(spec: string): Profile {
  const parsed = parseProfile(
    `apiVersion: apfbench.dev/v1alpha1\nkind: Profile\nmetadata: { name: p }\nspec:\n${spec}`,
    'p.yaml',
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.profile;
}

const profile = profileOf(`
  priorityLevels:
    - metadata: { name: global-default }
      spec: { type: Limited, limited: { nominalConcurrencyShares: 5 } }
    - metadata: { name: tenants }
      spec: { type: Limited, limited: { nominalConcurrencyShares: 10 } }
  flowSchemas:
    - metadata: { name: tenants }
      spec: { priorityLevelConfiguration: { name: tenants }, matchingPrecedence: 500 }
  remove:
    - { kind: FlowSchema, name: probes }
    - { kind: FlowSchema, name: not-there }
`);

const pl = (name: string, shares: number, extra: Partial<FlowControlObject['metadata']> = {}) =>
  ({
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '7', ...extra },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: shares, lendablePercent: 0 } },
    status: {},
  }) satisfies FlowControlObject;

const suggested = { annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
const current = new Map<string, FlowControlObject>([
  [
    refKey({ kind: 'PriorityLevelConfiguration', name: 'global-default' }),
    pl('global-default', 20, suggested),
  ],
  [
    refKey({ kind: 'FlowSchema', name: 'probes' }),
    {
      metadata: { name: 'probes', resourceVersion: '3', ...suggested },
      spec: { matchingPrecedence: 2 },
    },
  ],
]);

describe('planApply', () => {
  const actions = planApply(profile, current);

  it('creates what is missing, updates what exists, deletes what is removed', () => {
    expect(actions.map((a) => `${a.op} ${a.kind}/${a.name}`)).toEqual([
      'update PriorityLevelConfiguration/global-default',
      'create PriorityLevelConfiguration/tenants',
      'create FlowSchema/tenants',
      'delete FlowSchema/probes',
      'unchanged FlowSchema/not-there',
    ]);
  });

  it('sets autoupdate-spec to "false" on a changed suggested object, at its resourceVersion', () => {
    const update = actions[0]!;
    if (update.op !== 'update') throw new Error('expected an update');
    expect(update.object.metadata.annotations?.[AUTOUPDATE_ANNOTATION]).toBe('false');
    expect(update.object.metadata.resourceVersion).toBe('7');
    expect(update.object).not.toHaveProperty('status');
    expect(update.changes).toContainEqual({
      path: `metadata.annotations.${AUTOUPDATE_ANNOTATION}`,
      from: 'true',
      to: 'false',
    });
  });

  it('leaves autoupdate-spec off objects of its own', () => {
    const create = actions[1]!;
    if (create.op !== 'create') throw new Error('expected a create');
    expect(create.object.metadata).toEqual({ name: 'tenants' });
  });
});

describe('settle', () => {
  it('turns an update whose defaulted spec equals the current one into unchanged', () => {
    const same = profileOf(`
  priorityLevels:
    - metadata: { name: global-default }
      spec: { type: Limited, limited: { nominalConcurrencyShares: 20 } }
`);
    const tentative = planApply(same, current);
    const key = refKey({ kind: 'PriorityLevelConfiguration', name: 'global-default' });
    const dryRun = new Map([[key, pl('global-default', 20)]]);
    expect(settle(tentative, current, dryRun)).toEqual([
      { op: 'unchanged', kind: 'PriorityLevelConfiguration', name: 'global-default' },
    ]);
    const changed = new Map([[key, pl('global-default', 5)]]);
    const [update] = settle(planApply(profile, current), current, changed);
    expect(update).toMatchObject({ op: 'update' });
    if (update?.op !== 'update') return;
    expect(update.changes).toContainEqual({
      path: 'spec.limited.nominalConcurrencyShares',
      from: 20,
      to: 5,
    });
  });
});

describe('snapshot and restore', () => {
  const snapshot = takeSnapshot(touchedRefs(profile), current, {
    server: 'https://127.0.0.1:1',
    profile: 'p',
    now: new Date(0),
  });

  it('records every touched object as it was, absent ones as null, without server fields', () => {
    expect(snapshot.objects.map((o) => [refKey(o), o.object === null])).toEqual([
      ['PriorityLevelConfiguration/global-default', false],
      ['PriorityLevelConfiguration/tenants', true],
      ['FlowSchema/tenants', true],
      ['FlowSchema/probes', false],
      ['FlowSchema/not-there', true],
    ]);
    expect(snapshot.objects[0]!.object!.metadata).toEqual({
      name: 'global-default',
      ...suggested,
    });
    expect(snapshot.objects[0]!.object).not.toHaveProperty('status');
  });

  it('plans nothing when the server is as the snapshot says', () => {
    expect(planRestore(snapshot, current).every((a) => a.op === 'unchanged')).toBe(true);
  });

  it('undoes every change of the profile', () => {
    const after = new Map<string, FlowControlObject>([
      [
        refKey({ kind: 'PriorityLevelConfiguration', name: 'global-default' }),
        pl('global-default', 5, {
          annotations: { [AUTOUPDATE_ANNOTATION]: 'false' },
          resourceVersion: '9',
        }),
      ],
      [refKey({ kind: 'PriorityLevelConfiguration', name: 'tenants' }), pl('tenants', 10)],
      [
        refKey({ kind: 'FlowSchema', name: 'tenants' }),
        { metadata: { name: 'tenants' }, spec: {} },
      ],
    ]);
    const actions = planRestore(snapshot, after);
    expect(formatActions(actions)).toEqual([
      'update    PriorityLevelConfiguration global-default',
      `            metadata.annotations.${AUTOUPDATE_ANNOTATION}: "false" → "true"`,
      '            spec.limited.nominalConcurrencyShares: 5 → 20',
      'delete    PriorityLevelConfiguration tenants',
      'delete    FlowSchema tenants',
      'create    FlowSchema probes',
      'unchanged FlowSchema not-there',
    ]);
    const update = actions[0]!;
    if (update.op !== 'update') throw new Error('expected an update');
    expect(update.object.metadata.resourceVersion).toBe('9');
  });

  it('merges a later snapshot under an earlier one: the earlier state wins', () => {
    const later = takeSnapshot(
      [
        { kind: 'PriorityLevelConfiguration', name: 'global-default' },
        { kind: 'FlowSchema', name: 'x' },
      ],
      new Map([
        [
          refKey({ kind: 'PriorityLevelConfiguration', name: 'global-default' }),
          pl('global-default', 5),
        ],
      ]),
      { server: 's', profile: 'q' },
    );
    const merged = mergeSnapshots(snapshot, later);
    expect(merged.profiles).toEqual(['p', 'q']);
    expect(merged.objects.map(refKey)).toEqual([...snapshot.objects.map(refKey), 'FlowSchema/x']);
    expect(merged.objects[0]).toBe(snapshot.objects[0]);
  });
});

describe('diffValues', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, []],
    [{ a: 1 }, { a: 2 }, [{ path: 'x.a', from: 1, to: 2 }]],
    [{ a: [1, 2] }, { a: [1] }, [{ path: 'x.a', from: [1, 2], to: [1] }]],
    [{}, { b: { c: 1 } }, [{ path: 'x.b', from: undefined, to: { c: 1 } }]],
  ])('%j → %j', (a, b, changes) => {
    expect(diffValues(a, b, 'x')).toEqual(changes);
  });
});

describe('nominal seats', () => {
  // kube-apiserver defaults: 600 seats over the suggested and mandatory shares.
  const shares = {
    exempt: 0,
    system: 30,
    'node-high': 40,
    'leader-election': 10,
    'workload-high': 40,
    'workload-low': 100,
    'global-default': 20,
    'catch-all': 5,
  };
  const observed = {
    exempt: 0,
    system: 74,
    'node-high': 98,
    'leader-election': 25,
    'workload-high': 98,
    'workload-low': 245,
    'global-default': 49,
    'catch-all': 13,
  };

  it('are ceil(ServerCL × shares / Σ shares)', () => {
    expect(nominalSeats(shares, 600)).toEqual(observed);
    expect(nominalSeats({ a: 1, b: 1 }, 2)).toEqual({ a: 1, b: 1 });
    expect(nominalSeats({ a: 0 }, 10)).toEqual({ a: 0 });
  });

  it.each([
    [{ a: 1, b: 1 }, { a: 1, b: 1 }, [1, 2]],
    [{ a: 1, b: 3 }, { a: 3, b: 9 }, [11, 12]],
    [{ a: 1, b: 1 }, { a: 1, b: 5 }, []],
    [{ a: 1 }, {}, []],
  ])('the server concurrency of %j seen as %j is one of %j', (s, o, want) => {
    expect(inferServerConcurrency(s, o)).toEqual(want);
  });

  it("finds the defaults' 600 and checks new seats against every candidate", () => {
    const candidates = inferServerConcurrency(shares, observed);
    expect(candidates).toContain(600);
    const changed = { ...shares, 'global-default': 5, tenants: 10 };
    expect(seatsMatch(changed, candidates, nominalSeats(changed, 600))).toBe(true);
    expect(seatsMatch(changed, candidates, observed)).toBe(false);
  });
});
