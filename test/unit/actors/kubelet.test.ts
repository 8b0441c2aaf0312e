import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../../src/actors/actor.js';
import { createKubelet } from '../../../src/actors/kubelet/index.js';
import {
  heartbeatStatusPatch,
  nodeAddress,
  nodeObject,
} from '../../../src/actors/kubelet/objects.js';
import { jitteredSchedule, startOffsetMs } from '../../../src/actors/kubelet/timing.js';
import { FakeClock } from '../../../src/timing/clock.js';
import { createRng } from '../../../src/timing/random.js';
import { dispatch } from '../../../src/timing/schedule.js';
import {
  FlowControlNames,
  type KubeClient,
  type KubeObject,
  type KubeResponse,
} from '../../../src/kube/index.js';
import {
  HeartbeatTracker,
  KubeletMetric,
  classifyGap,
  heartbeatThresholds,
  kubeletSections,
  type MeasureSink,
} from '../../../src/metrics/heartbeats.js';
import { mergeSnapshots } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import { parseScenario, type Scenario } from '../../../src/actors/scenario.js';
import type { KubeletActorGroup } from '../../../src/actors/kubelet/index.js';
import { formatProblem } from '../../../src/validation/problems.js';

function kubeletScenario(group: string, spec = 'duration: 60s'): string {
  return `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: kubelets }
spec:
  ${spec}
  actors:
    - name: kubelets
      type: kubelet
${group
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
}

function parseKubelets(
  group: string,
  spec?: string,
): { scenario: Scenario; group: KubeletActorGroup } {
  const parsed = parseScenario(kubeletScenario(group, spec), 'inline.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  const g = parsed.scenario.spec.actors[0]!;
  if (g.type !== 'kubelet') throw new Error('not a kubelet group');
  return { scenario: parsed.scenario, group: g };
}

describe('kubelet schema', () => {
  it('defaults to the kubelet configuration defaults', () => {
    const { group } = parseKubelets('count: 3');
    expect(group).toEqual({
      name: 'kubelets',
      type: 'kubelet',
      count: 3,
      identity: 'system:node:node-{i}',
      leaseDuration: 40_000,
      renewInterval: 10_000,
      statusUpdateFrequency: 10_000,
      statusReportInterval: 300_000,
      watchPods: true,
      podChurn: false,
      maxInFlight: 8,
    });
  });

  it.each([
    ['identity: tenant-{i}', 'identity: must start with system:node:'],
    ['identity: system:node:Node_{i}', 'identity: must name a node with a DNS subdomain'],
    ['identity: system:node:node-1', 'identity: must contain {i} when count > 1'],
    ['renewInterval: 40s', 'renewInterval: must be less than leaseDuration (40s)'],
    ['leaseDuration: 1500ms', 'leaseDuration: must be whole seconds'],
    ['watchPods: false\npodChurn: true', 'podChurn: needs watchPods: true'],
    ['renewInterval: 0s', 'renewInterval: must be > 0'],
  ])('rejects %j', (fields, message) => {
    const parsed = parseScenario(kubeletScenario(`count: 2\n${fields}`), 'inline.yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map(formatProblem).join('\n')).toContain(`spec.actors[0].${message}`);
  });

  it('loads the shipped heartbeats-at-scale scenario', () => {
    const parsed = parseScenario(
      readFileSync('scenarios/heartbeats-at-scale.yaml', 'utf8'),
      'heartbeats-at-scale.yaml',
    );
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.scenario.spec.actors[0]).toMatchObject({ count: 2000 });
  });
});

describe('jittered renew schedule', () => {
  it('spaces ticks like wait.JitterUntil with factor 0.04: [period, 1.04 × period)', () => {
    const s = jitteredSchedule(1234, 10_000, 600_000, createRng(5));
    const ticks: number[] = [];
    for (let t = s.next(); t !== undefined; t = s.next()) ticks.push(t);
    expect(ticks[0]).toBe(1234);
    expect(ticks.at(-1)).toBeLessThan(600_000);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...gaps)).toBeLessThan(10_400);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(10_120);
    expect(mean).toBeLessThan(10_280);
    // Reproducible from the seed.
    const again = jitteredSchedule(1234, 10_000, 600_000, createRng(5));
    expect(again.next()).toBe(ticks[0]);
    expect(again.next()).toBe(ticks[1]);
  });

  it('fires on a fake clock at the intended times, computed from the start, not from the last send', async () => {
    const clock = new FakeClock(500);
    const sends: { intended: number; actual: number }[] = [];
    const done = dispatch({
      schedule: jitteredSchedule(300, 10_000, 60_000, createRng(9)),
      clock,
      originMs: 500,
      deadlineMs: 60_000,
      onSend: (intended, actual) => sends.push({ intended, actual }),
    });
    await clock.advance(25_000);
    await clock.stall(20_000); // the loop is blocked from 25 s to 45 s
    await clock.advance(20_000);
    expect(await done).toBe(sends.length);
    const expected = jitteredSchedule(300, 10_000, 60_000, createRng(9));
    expect(sends.map((s) => s.intended)).toEqual(
      Array.from({ length: sends.length }, () => expected.next()),
    );
    expect(expected.next()).toBeUndefined();
    // Ticks due during the stall fired at its end with their own intended times.
    expect(sends.filter((s) => s.actual === 45_000).length).toBeGreaterThanOrEqual(1);
    expect(sends.filter((s) => s.actual !== 45_000).every((s) => s.actual === s.intended)).toBe(
      true,
    );
  });

  it('spreads node starts over one renew interval, one node per slot', () => {
    const starts = Array.from({ length: 2000 }, (_, i) => startOffsetMs(i, 2000, 10_000, 0.5));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...starts)).toBeLessThan(10_000);
    const perSecond = new Map<number, number>();
    for (const s of starts)
      perSecond.set(Math.floor(s / 1000), (perSecond.get(Math.floor(s / 1000)) ?? 0) + 1);
    expect([...perSecond.values()]).toEqual(Array(10).fill(200));
  });
});

describe('heartbeat gaps', () => {
  const t = heartbeatThresholds(10_000, 40_000);

  it.each([
    [10_200, 'ok'],
    [15_000, 'ok'],
    [15_001, 'late'],
    [40_000, 'late'],
    [40_001, 'missed'],
  ] as const)('%i ms is %s', (gapMs, expected) => {
    expect(classifyGap(gapMs, t)).toBe(expected);
  });

  function sink() {
    const counters: Record<string, number> = {};
    const observed: number[] = [];
    const s: MeasureSink = {
      count: (m, by = 1) => void (counters[m] = (counters[m] ?? 0) + by),
      observe: (_m, us) => void observed.push(us),
    };
    return { s, counters, observed };
  }

  it('records every gap between renewals, and boundary gaps only when late or missed', () => {
    const { s, counters, observed } = sink();
    const tracker = new HeartbeatTracker(s, 'node-7', t, 1000);
    tracker.renewed(1050); // 50 ms after the start: not a gap between renewals
    tracker.renewed(11_250);
    tracker.renewed(31_250); // 20 s: late
    tracker.renewed(81_250); // 50 s: missed
    tracker.close(90_000); // 8.75 s open: fine
    expect(observed).toEqual([10_200_000, 20_000_000, 50_000_000]);
    expect(counters).toEqual({
      [KubeletMetric.renewals]: 4,
      [KubeletMetric.late]: 1,
      [KubeletMetric.missed]: 1,
      [`${KubeletMetric.notReadyPrefix}node-7`]: 1,
    });
  });

  it('counts a node whose renewals stopped, and one that never renewed, at the end', () => {
    const stopped = sink();
    const a = new HeartbeatTracker(stopped.s, 'node-1', t, 0);
    a.renewed(100);
    a.close(60_000);
    expect(stopped.counters[KubeletMetric.missed]).toBe(1);
    expect(stopped.observed).toEqual([59_900_000]);

    const never = sink();
    const b = new HeartbeatTracker(never.s, 'node-2', t, 5000);
    b.close(25_000);
    expect(never.counters).toEqual({ [KubeletMetric.late]: 1 });
    b.close(60_000);
    expect(never.observed).toHaveLength(1);
  });

  it('turns merged counters into the heartbeats, nodes and watch sections', () => {
    const c = new GroupIntervalCollector('kubelets');
    const tracker = new HeartbeatTracker(c, 'node-3', t, 0);
    tracker.renewed(10);
    tracker.renewed(10_010);
    tracker.renewed(60_010);
    c.count(KubeletMetric.watchOpened, 2);
    c.count(KubeletMetric.watchRestarts);
    const { totals } = mergeSnapshots(c.snapshot(0));
    const sections = kubeletSections(totals[0]!, { watchPods: true });
    expect(sections.heartbeats).toMatchObject({
      renewals: 3,
      failed: 0,
      late: 0,
      missed: 1,
      notReadyNodes: ['node-3'],
    });
    expect(sections.heartbeats.gapMs.count).toBe(2);
    expect(sections.heartbeats.histogram).not.toBe('');
    expect(sections.watch).toEqual({
      opened: 2,
      restarts: 1,
      relists: 0,
      bookmarks: 0,
      events: 0,
      errors: 0,
    });
    expect(sections.podStartup).toBeUndefined();
  });
});

describe('node object', () => {
  it('looks like a registered kubelet node', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    const node = nodeObject({
      name: 'node-42',
      index: 42,
      kubeletVersion: 'v1.37.2',
      labels: { 'apfbench.dev/run': 'r1' },
      now,
    });
    expect(node.metadata).toMatchObject({
      name: 'node-42',
      labels: { 'kubernetes.io/hostname': 'node-42', 'apfbench.dev/run': 'r1' },
    });
    const status = node.status as Record<string, unknown>;
    expect(status.capacity).toMatchObject({ cpu: '8', pods: '110' });
    expect(status.allocatable).toMatchObject({ cpu: '7910m', pods: '110' });
    expect(
      (status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]),
    ).toEqual([
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', lastHeartbeatTime: '2026-01-02T03:04:05Z' }),
    );
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '127.128.0.42' },
      { type: 'Hostname', address: 'node-42' },
    ]);
    expect(status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.37.2', operatingSystem: 'linux' });
  });

  it('gives every node its own never-contacted address', () => {
    const addresses = new Set(Array.from({ length: 70_000 }, (_, i) => nodeAddress(i)));
    expect(addresses.size).toBe(70_000);
    expect([...addresses].every((a) => a.startsWith('127.') && !a.startsWith('127.0.'))).toBe(true);
  });

  it('reports status with a strategic-merge patch of the conditions heartbeat times', () => {
    const patch = heartbeatStatusPatch(new Date('2026-01-02T03:04:05Z')) as {
      status: Record<string, { type: string; lastHeartbeatTime?: string }[]>;
    };
    expect(patch.status['$setElementOrder/conditions']).toHaveLength(4);
    expect(patch.status.conditions).toContainEqual({
      type: 'Ready',
      lastHeartbeatTime: '2026-01-02T03:04:05Z',
    });
  });
});

/**
 * The kubelet's retry logic against scripted outcomes (not an API server: only the status codes
 * the kubelet reacts to), on a fake clock.
 */
describe('lease renewal under failures', () => {
  function response<T>(status: number, body?: T): KubeResponse<T> {
    const now = performance.now();
    return {
      status,
      body,
      bytes: 0,
      sentAt: now,
      headersAt: now,
      doneAt: now,
      flowSchemaUID: undefined,
      priorityLevelUID: undefined,
      retryAfterSeconds: undefined,
      error: status === 0 ? { code: 'ECONNREFUSED', message: 'refused' } : undefined,
    };
  }

  async function runNode(
    failing: (relMs: number) => boolean,
    { extra = '', patchLatencyMs = 0 }: { extra?: string; patchLatencyMs?: number } = {},
  ) {
    const { scenario, group } = parseKubelets(
      `count: 1\nidentity: system:node:node-0\nwatchPods: false${extra}`,
    );
    const clock = new FakeClock(1000);
    const calls: { verb: string; at: number }[] = [];
    let rv = 1;
    const lease = (): KubeObject => ({
      metadata: { name: 'node-0', namespace: 'kube-node-lease', resourceVersion: String(rv++) },
      spec: {},
    });
    const call = (verb: string, ok: () => KubeResponse) => {
      const at = clock.now() - 1000;
      calls.push({ verb, at });
      return Promise.resolve(failing(at) ? response(0) : ok());
    };
    let leaseExists = false;
    const client = {
      identity: { name: 'system:node:node-0' },
      create: (r: { plural: string }) =>
        call(`create ${r.plural}`, () => {
          if (r.plural === 'leases') leaseExists = true;
          return response(201, r.plural === 'leases' ? lease() : { metadata: { uid: 'u1' } });
        }),
      get: (r: { plural: string }) =>
        call(`get ${r.plural}`, () => (leaseExists ? response(200, lease()) : response(404))),
      update: (r: { plural: string }) => call(`update ${r.plural}`, () => response(200, lease())),
      patch: async (
        r: { plural: string },
        _name: string,
        _body: unknown,
        _type: string,
        o: { subresource?: string },
      ) => {
        const res = await call(
          `patch ${r.plural}${o.subresource === undefined ? '' : `/${o.subresource}`}`,
          () => response(200),
        );
        await clock.sleepUntil(clock.now() + patchLatencyMs);
        return res;
      },
    } as unknown as KubeClient;
    const collector = new GroupIntervalCollector('kubelets');
    const ctx: ActorContext = {
      client,
      names: new FlowControlNames(),
      collector,
      rng: createRng(1),
      clock,
      originMs: 1000,
      deadlineMs: 60_000,
      signal: new AbortController().signal,
      run: { id: 'r1', scenario, labelKey: 'apfbench.dev/run', serverVersion: 'v1.37.2' },
    };
    const done = createKubelet(group, { index: 0, count: 1 }, ctx).run();
    await clock.advanceTo(1000 + 61_000);
    await done;
    const { totals } = mergeSnapshots(collector.snapshot(0));
    return {
      calls,
      sections: kubeletSections(totals[0]!, { watchPods: false }),
      totals: totals[0]!,
    };
  }

  it('renews every renew interval, and every request is recorded', async () => {
    const { calls, sections, totals } = await runNode(() => false);
    expect(calls.map((c) => c.verb).slice(0, 3)).toEqual([
      'create nodes',
      'get leases',
      'create leases',
    ]);
    // Six ticks in 60 s at a 10 s period (+ up to 4% jitter), the first creating the lease.
    expect(sections.heartbeats.renewals).toBe(6);
    expect(sections.heartbeats).toMatchObject({ failed: 0, late: 0, missed: 0 });
    expect(totals.sent).toBe(calls.length);
    expect(totals.completed).toBe(calls.length);
    expect(totals.byKey).toEqual({
      'create nodes 201': 1,
      'get leases 404': 1,
      'create leases 201': 1,
      'update leases 200': 5,
      // As the kubelet: the first status tick reports (lastStatusReportTime starts at zero).
      'patch nodes/status 200': 1,
    });
  });

  it('reports status on every tick due, however long the previous PATCH took', async () => {
    // Ticks every 10 s (+ up to 4 %), a report due every 10 s, and 2 s per PATCH: the report
    // time is taken before sending, so a tick jittered a little shorter is never skipped.
    const { calls } = await runNode(() => false, {
      extra: '\nstatusUpdateFrequency: 10s\nstatusReportInterval: 10s',
      patchLatencyMs: 2000,
    });
    const reports = calls.filter((c) => c.verb === 'patch nodes/status').map((c) => c.at);
    expect(reports.length).toBeGreaterThanOrEqual(5);
    const gaps = reports.slice(1).map((t, i) => t - reports[i]!);
    for (const gap of gaps) expect(gap).toBeLessThan(10_400 + 1);
  });

  it('retries a failed renewal 5 times at once, then with the 200 ms … 7 s backoff; a long outage is late', async () => {
    const { calls, sections } = await runNode((at) => at >= 15_000 && at < 40_000);
    const failedAt = calls.filter((c) => c.at >= 15_000 && c.at < 40_000);
    const updates = failedAt.filter((c) => c.verb === 'update leases');
    expect(updates).toHaveLength(5);
    expect(new Set(updates.map((c) => c.at)).size).toBe(1);
    const gets = failedAt.filter((c) => c.verb === 'get leases').map((c) => c.at);
    const waits = gets.slice(1).map((t, i) => Math.round(t - gets[i]!));
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 6400, 7000].slice(0, waits.length));
    expect(waits.length).toBeGreaterThanOrEqual(6);
    expect(sections.heartbeats.failed).toBe(failedAt.length);
    expect(sections.heartbeats.late).toBe(1);
    expect(sections.heartbeats.missed).toBe(0);
    expect(sections.heartbeats.skipped).toBeGreaterThanOrEqual(1);
  });

  it('counts a node that cannot renew until the end as missed, and names it', async () => {
    const { sections } = await runNode((at) => at >= 15_000);
    expect(sections.heartbeats.missed).toBe(1);
    expect(sections.heartbeats.notReadyNodes).toEqual(['node-0']);
  });
});
