import { describe, expect, it } from 'vitest';
import {
  createReplay,
  replayExpectedRequests,
  readQuery,
  replaySchedule,
} from '../../../src/actors/replay/create.js';
import {
  FlowControlNames,
  KubeClient,
  type RequestSpec,
  type Transport,
} from '../../../src/kube/index.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import { FakeClock } from '../../../src/timing/clock.js';
import { kubeResponse } from '../../support/response.js';
import type { ReplayActorGroup } from '../../../src/actors/replay/schema.js';
import { parseScenario } from '../../../src/actors/scenario.js';
import { formatProblem } from '../../../src/validation/problems.js';
import { createSchedule } from '../../../src/timing/schedule.js';
import { createRng } from '../../../src/timing/random.js';

function replayScenario(group: string): ReturnType<typeof parseScenario> {
  return parseScenario(
    `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: r }
spec:
  duration: 30s
  actors:
    - name: flow-a
      type: replay
${group
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`,
    'inline.yaml',
  );
}

function groupOf(fields: string): ReplayActorGroup {
  const parsed = replayScenario(fields);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  return parsed.scenario.spec.actors[0] as ReplayActorGroup;
}

const mix = `mix:
  - { verb: list, resource: configmaps, weight: 1, limit: 50, resourceVersion: any }`;

describe('replay groups', () => {
  it('send each step at its recorded rate, from the run start', () => {
    const group = groupOf(`count: 2\nrates: [2, 0, 1]\n${mix}`);
    const schedule = createSchedule(replaySchedule(group, { index: 1, count: 2 }), createRng(1));
    const times: number[] = [];
    for (let t = schedule.next(); t !== undefined; t = schedule.next()) times.push(t);
    // Instance 1 of 2, half a send late: 20 sends in the first 10 s step, none in the second, 10 in the third.
    expect(times.filter((t) => t < 10_000)).toHaveLength(20);
    expect(times.filter((t) => t >= 10_000 && t < 20_000)).toHaveLength(0);
    expect(times.filter((t) => t >= 20_000)).toHaveLength(10);
    expect(replayExpectedRequests(group, 30_000)).toBe(60);
    expect(replayExpectedRequests(group, 10_000)).toBe(40);
  });

  it('ask as recorded: selectors, page size, resourceVersion=0 for "any", a held watch', () => {
    const group = groupOf(`count: 1
rates: [1]
mix:
  - { verb: list, resource: pods, weight: 1, limit: 500, fieldSelector: spec.nodeName=n1, resourceVersion: any }
  - { verb: watch, resource: pods, weight: 1, limit: 500, resourceVersion: exact, watchSeconds: 30 }`);
    expect(readQuery(group.mix[0]!)).toEqual({
      fieldSelector: 'spec.nodeName=n1',
      labelSelector: undefined,
      limit: 500,
      resourceVersion: '0',
    });
    expect(readQuery(group.mix[1]!)).toEqual({
      fieldSelector: undefined,
      labelSelector: undefined,
      limit: undefined,
      resourceVersion: undefined,
      watch: 'true',
      allowWatchBookmarks: 'true',
      timeoutSeconds: 30,
    });
  });

  it('refuse what a replay cannot send, each problem with its place', () => {
    const parsed = replayScenario(`count: 1
rates: [1]
mix:
  - { verb: create, resource: pods, weight: 1 }
  - { verb: list, weight: 1 }
  - { verb: list, path: /healthz, weight: 1 }
  - { verb: update, resource: configmaps, namespaced: false, weight: 1 }`);
    expect(parsed.ok ? [] : parsed.problems.map(formatProblem)).toEqual([
      'inline.yaml:12:37 spec.actors[0].mix[0].resource: a replay writes only configmaps, secrets, leases (got pods)',
      'inline.yaml:13:11 spec.actors[0].mix[1]: needs either resource or path',
      'inline.yaml:14:31 spec.actors[0].mix[2].path: only allowed with verb get (got /healthz)',
      'inline.yaml:15:61 spec.actors[0].mix[3].namespaced: a replay writes only in its namespace (got false)',
    ]);
  });
});

describe('exact mode', () => {
  it('sends each recorded request, in order, at its recorded offset', async () => {
    const group = groupOf(`count: 1
mode: exact
rates: [1]
offsets: [0, 250, 250.5, 1200]
entries: [0, 1, 0, 1]
mix:
  - { verb: get, path: /healthz, weight: 2 }
  - { verb: list, resource: configmaps, weight: 2, limit: 5 }`);
    const clock = new FakeClock();
    const sends: { path: string; at: number }[] = [];
    const transport = {
      send: (spec: RequestSpec) => {
        sends.push({ path: spec.path, at: clock.now() });
        return Promise.resolve(kubeResponse(200));
      },
    } as unknown as Transport;
    const scenario = replayScenario(`count: 1\nrates: [1]\n${mix}`);
    if (!scenario.ok) throw new Error('scenario');
    const collector = new GroupIntervalCollector('flow-a');
    const actor = createReplay(
      group,
      { index: 0, count: 1 },
      {
        client: new KubeClient(transport, { name: 'alice', token: 't' }),
        names: new FlowControlNames(),
        collector,
        rng: createRng(1),
        clock,
        originMs: 0,
        deadlineMs: 5000,
        signal: new AbortController().signal,
        run: { id: 'r', scenario: scenario.scenario, labelKey: 'apfbench.dev/run' },
      },
    );
    const done = actor.run();
    await clock.advanceTo(5000);
    await done;
    expect(sends.map((s) => s.path)).toEqual([
      '/healthz',
      '/api/v1/namespaces/apfbench/configmaps?limit=5',
      '/healthz',
      '/api/v1/namespaces/apfbench/configmaps?limit=5',
    ]);
    // Each at its offset, or after it by less than the dispatcher's step (its schedule lag).
    sends.forEach((s, k) => {
      const offset = group.offsets![k]!;
      expect(s.at).toBeGreaterThanOrEqual(offset);
      expect(s.at - offset).toBeLessThan(1);
    });
    expect(collector.snapshot(0)[0]).toMatchObject({ sent: 4, dropped: 0 });
  });

  it('refuses offsets and entries that do not fit', () => {
    const parsed = replayScenario(`count: 2
mode: exact
rates: [1]
offsets: [5, 3]
entries: [0, 1, 0]
mix:
  - { verb: get, path: /healthz, weight: 1 }`);
    expect(parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.actors[0].count: must be 1 with mode exact',
      'spec.actors[0].offsets[1]: must not be less than the offset before it',
      'spec.actors[0].entries: must have as many items as offsets (2)',
      'spec.actors[0].entries[1]: must be an index of mix (below 1)',
    ]);
  });
});
