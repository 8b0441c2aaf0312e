import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScenario } from '../../../src/actors/scenario.js';
import {
  deriveScenario,
  groupNameOf,
  replayUser,
  type DeriveOptions,
} from '../../../src/audit/derive.js';
import { parseAuditLine } from '../../../src/audit/event.js';
import { resourceVersionSemantics, Tally } from '../../../src/audit/tally.js';
import { auditLine, deriveDefaults, T0, type EventFields } from '../../support/audit.js';

const options: DeriveOptions = deriveDefaults;

/** A tally at the resolution from-audit uses (a tenth of a step), of these events. */
function tallyOf(
  events: readonly EventFields[],
  window: { fromMs?: number; toMs?: number } = {},
  keepRequests = false,
) {
  const tally = new Tally(1000, window, keepRequests);
  for (const e of events) {
    const parsed = parseAuditLine(auditLine(e));
    if (parsed.kind !== 'request') throw new Error(`not a request: ${JSON.stringify(parsed)}`);
    tally.add(parsed.request);
  }
  return tally;
}

/** `n` events of one kind, one every `everyMs` from `fromMs`. */
const every = (n: number, everyMs: number, e: EventFields, fromMs = T0): EventFields[] =>
  Array.from({ length: n }, (_, i) => ({ ...e, atMs: fromMs + i * everyMs }));

const quiet = { user: 'quiet-0' } satisfies EventFields;
const node = {
  user: 'system:node:n1',
  groups: ['system:nodes', 'system:authenticated'],
  verb: 'list',
  uri: '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=500&resourceVersion=0',
  objectRef: { resource: 'pods', apiVersion: 'v1' },
} satisfies EventFields;

describe('deriveScenario', () => {
  it('derives one replay group per flow with its mix, codes and per-step rates', () => {
    // quiet-0: 2/s for 20 s, then 1/s for 10 s; the node: 1/s for 30 s, every 10th a 429.
    const events = [
      ...every(40, 500, quiet),
      ...every(10, 1000, quiet, T0 + 20_000),
      ...every(30, 1000, node).map((e, i) => ({ ...e, code: i % 10 === 9 ? 429 : 200 })),
    ];
    const { scenario, summary } = deriveScenario(tallyOf(events), options);
    expect(scenario.spec.duration).toBe('30s');
    expect(scenario.spec.actors.map((g) => [g.name, g.identity, g.groups, g.rates])).toEqual([
      ['flow-quiet-0', 'quiet-0', ['apfbench:tenants', 'system:authenticated'], [2, 2, 1]],
      [
        'flow-system-node-n1',
        'system:node:n1',
        ['system:nodes', 'system:authenticated'],
        [1, 1, 1],
      ],
    ]);
    expect(scenario.spec.actors[1]!.mix).toEqual([
      {
        verb: 'list',
        resource: 'pods',
        fieldSelector: 'spec.nodeName=n1',
        limit: 500,
        resourceVersion: 'any',
        namespaced: false,
        weight: 30,
        codes: { '200': 27, '429': 3 },
      },
    ]);
    expect(scenario.spec.fixtures).toEqual([
      { kind: 'ConfigMap', count: 1, size: 1024, namePrefix: 'replay-configmaps' },
    ]);
    expect(summary.flows).toBe(2);
    expect(summary.peak).toEqual({ rps: 3, at: '2026-12-02T10:00:00.000Z' });
    expect(summary.byVerbResource).toEqual([
      { verb: 'get', resource: 'configmaps', count: 50 },
      { verb: 'list', resource: 'pods', count: 30 },
    ]);
    expect(summary.groups.map((g) => g.priorityLevel)).toEqual(['global-default', 'system']);
  });

  it('writes a scenario that the scenario format accepts', () => {
    const { scenario } = deriveScenario(
      tallyOf([...every(20, 500, quiet), ...every(5, 1000, node)]),
      options,
    );
    const parsed = parseScenario(stringify(scenario), 'derived.yaml');
    expect(parsed.ok ? parsed.scenario.spec.actors.map((g) => g.type) : parsed.problems).toEqual([
      'replay',
      'replay',
    ]);
  });

  it('starts its steps at the first request, whatever the clock', () => {
    const { scenario } = deriveScenario(tallyOf(every(20, 1000, quiet, T0 + 7_000)), options);
    expect(scenario.spec.actors[0]!.rates).toEqual([1, 1]);
  });

  it('scales time with --speed and rates with --scale', () => {
    const { scenario } = deriveScenario(tallyOf(every(20, 1000, quiet)), {
      ...options,
      speed: 2,
      scale: 3,
    });
    const g = scenario.spec.actors[0]!;
    expect([scenario.spec.duration, g.resolution, g.rates]).toEqual(['10s', '5s', [6, 6]]);
  });

  it('keeps the --top flows and merges the rest into one group per priority level', () => {
    const events = [
      ...every(30, 100, quiet),
      ...every(10, 100, { user: 'a' }),
      ...every(10, 100, { user: 'b' }),
      ...every(5, 100, { ...node, user: 'system:node:n2' }),
    ];
    const { scenario, summary } = deriveScenario(tallyOf(events), { ...options, top: 1 });
    expect(scenario.spec.actors.map((g) => [g.name, g.count, g.identity, g.source?.flows])).toEqual(
      [
        ['flow-quiet-0', 1, 'quiet-0', 1],
        ['flow-other-global-default', 2, 'flow-other-global-default-{i}', 2],
        ['flow-other-system', 1, 'flow-other-system-{i}', 1],
      ],
    );
    // 20 requests in the first step of two flows: 1 request/s for each instance.
    expect(scenario.spec.actors[1]!.rates).toEqual([1]);
    expect(summary.groups.map((g) => g.requests)).toEqual([30, 20, 5]);
  });

  it('hashes user names with --anonymize and keeps the groups', () => {
    const sa = {
      user: 'system:serviceaccount:team-a:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
    };
    const { scenario } = deriveScenario(tallyOf([...every(3, 100, quiet), ...every(2, 100, sa)]), {
      ...options,
      anonymize: true,
    });
    const text = stringify(scenario);
    expect(text).not.toContain('quiet-0');
    expect(text).not.toContain('builder');
    const [first, second] = scenario.spec.actors;
    expect(first!.identity).toMatch(/^user-[0-9a-f]{12}$/);
    expect(second!.identity).toMatch(/^system:serviceaccount:ns-[0-9a-f]{12}:sa-[0-9a-f]{12}$/);
    expect(second!.groups).toEqual(sa.groups);
  });

  it('leaves out what a replay cannot send, says so, and lowers the rates to match', () => {
    const patchStatus = {
      ...node,
      verb: 'patch',
      uri: '/api/v1/nodes/n1/status',
      objectRef: { resource: 'nodes', subresource: 'status', name: 'n1', apiVersion: 'v1' },
    };
    const { scenario, summary } = deriveScenario(
      tallyOf([...every(10, 1000, node), ...every(10, 1000, patchStatus)]),
      options,
    );
    expect(summary.notRepresented).toEqual([{ what: 'patch of nodes/status', count: 10 }]);
    expect(scenario.spec.actors[0]!.rates).toEqual([1]);
    expect(scenario.spec.actors[0]!.mix.map((e) => e.verb)).toEqual(['list']);
  });

  it('in exact mode, lists each represented request in time order with its mix entry', () => {
    const patchStatus = {
      ...node,
      verb: 'patch',
      uri: '/api/v1/nodes/n1/status',
      objectRef: { resource: 'nodes', subresource: 'status', name: 'n1', apiVersion: 'v1' },
    };
    // Logged when they completed, out of order: a watch ends after later requests.
    const events: EventFields[] = [
      { ...node, atMs: T0 + 1000 },
      { ...node, atMs: T0 + 3000 },
      { ...patchStatus, atMs: T0 + 2000 },
      { ...node, verb: 'watch', atMs: T0 },
      { ...node, atMs: T0 + 2500 },
    ];
    const { scenario } = deriveScenario(tallyOf(events, {}, true), {
      ...options,
      mode: 'exact',
      speed: 2,
    });
    const g = scenario.spec.actors[0]!;
    expect(g.mode).toBe('exact');
    expect(g.offsets).toEqual([0, 500, 1250, 1500]);
    expect(g.entries!.map((e) => g.mix[e]!.verb)).toEqual(['watch', 'list', 'list', 'list']);
    expect(parseScenario(stringify(scenario), 'exact.yaml').ok).toBe(true);
  });

  it('never replays an admin (system:masters) flow', () => {
    const admin = { user: 'apfbench-admin', groups: ['system:masters', 'system:authenticated'] };
    const { scenario, summary } = deriveScenario(
      tallyOf([...every(5, 100, admin), ...every(2, 100, quiet)]),
      options,
    );
    expect(scenario.spec.actors.map((g) => g.identity)).toEqual(['quiet-0']);
    expect(summary.notRepresented).toEqual([
      { what: 'requests of system:masters users (exempt; never replayed)', count: 5 },
    ]);
  });

  it('records write sizes where the level logged the object, else the default size', () => {
    const create = {
      verb: 'create',
      uri: '/api/v1/namespaces/apfbench/configmaps',
      objectRef: { resource: 'configmaps', namespace: 'apfbench', apiVersion: 'v1' },
    };
    const { scenario } = deriveScenario(
      tallyOf([
        { ...create, level: 'Request', requestObject: { data: { p: 'x'.repeat(90) } } },
        { ...create, user: 'other', atMs: T0 + 1 },
      ]),
      options,
    );
    expect(
      Object.fromEntries(scenario.spec.actors.map((g) => [g.identity, g.mix[0]!.size])),
    ).toEqual({
      'quiet-0': JSON.stringify({ data: { p: 'x'.repeat(90) } }).length,
      other: 1024,
    });
  });

  it('holds a WATCH for its recorded mean duration', () => {
    const watch = {
      verb: 'watch',
      uri: '/api/v1/namespaces/apfbench/configmaps?watch=true&resourceVersion=5',
      objectRef: { resource: 'configmaps', namespace: 'apfbench', apiVersion: 'v1' },
      tookMs: 30_000,
    };
    const { scenario } = deriveScenario(tallyOf(every(2, 1000, watch)), options);
    expect(scenario.spec.actors[0]!.mix[0]).toMatchObject({
      verb: 'watch',
      watchSeconds: 30,
      resourceVersion: 'exact',
    });
  });

  it('counts requests outside --from/--to and uses the window as the timeline', () => {
    const tally = tallyOf(every(30, 1000, quiet), { fromMs: T0 + 10_000, toMs: T0 + 20_000 });
    const { scenario, summary } = deriveScenario(tally, {
      ...options,
      fromMs: T0 + 10_000,
      toMs: T0 + 20_000,
    });
    expect(summary.outsideWindow).toBe(20);
    expect(scenario.spec.actors[0]!.rates).toEqual([1]);
  });
});

describe('resourceVersionSemantics', () => {
  it.each([
    ['list', undefined, undefined, 'latest'],
    ['list', '0', undefined, 'any'],
    ['list', '123', undefined, 'notOlderThan'],
    ['list', '123', 'Exact', 'exact'],
    ['get', '0', undefined, 'any'],
    ['watch', '123', undefined, 'exact'],
    ['watch', undefined, undefined, 'latest'],
    ['create', undefined, undefined, undefined],
  ] as const)('%s with resourceVersion=%s match=%s is %s', (verb, rv, match, expected) => {
    expect(resourceVersionSemantics(verb, rv, match)).toBe(expected);
  });
});

describe('names', () => {
  it('makes DNS labels of user names, unique', () => {
    const taken = new Set<string>();
    expect(groupNameOf('system:serviceaccount:kube-system:Foo_Bar', taken)).toBe(
      'flow-sa-kube-system-foo-bar',
    );
    expect(groupNameOf('quiet-0', taken)).toBe('flow-quiet-0');
    expect(groupNameOf('Quiet_0', taken)).toBe('flow-quiet-0-2');
    expect(groupNameOf('x'.repeat(100), taken)).toHaveLength(55);
  });

  it('keeps a user as it is without --anonymize', () => {
    expect(replayUser('system:node:n1', false)).toBe('system:node:n1');
    expect(replayUser('system:node:n1', true)).toMatch(/^system:node:node-[0-9a-f]{12}$/);
  });
});
