import { describe, expect, it } from 'vitest';

import { createRecorder, record, summarizeMs } from '../../../src/metrics/histogram.js';
import { TimelineAggregator, mergeSnapshots } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import {
  isErrorCode,
  transportErrorCode,
  type Completion,
} from '../../../src/metrics/timeline-snapshot.js';
import { encoded, snapshot } from '../../support/snapshot.js';

function completion(code: string, latencyUs: number, extra: Partial<Completion> = {}): Completion {
  return {
    intendedMs: 0,
    verb: 'GET',
    resource: 'pods',
    code,
    latencyUs,
    serviceTimeUs: latencyUs / 2,
    ...extra,
  };
}

describe('isErrorCode', () => {
  it.each([
    ['200', false],
    ['201', false],
    ['304', true],
    ['409', true],
    ['429', true],
    ['500', true],
    [transportErrorCode('ECONNRESET'), true],
  ])('%s → %s', (code, error) => {
    expect(isErrorCode(code)).toBe(error);
  });
});

describe('GroupIntervalCollector', () => {
  it('snapshots one interval and starts the next one empty', () => {
    const collector = new GroupIntervalCollector('kubelet');
    collector.sent(0);
    collector.lag(0, 1500);
    collector.sent(0);
    collector.lag(0, -1);
    collector.dropped(0);
    collector.completed(
      completion('200', 4000, { priorityLevel: 'node-high', flowSchema: 'system-nodes' }),
    );
    collector.completed(completion('429', 9000, { verb: 'LIST', priorityLevel: 'node-high' }));
    collector.completed(completion(transportErrorCode('ECONNRESET'), 12_000));

    const [first, ...more] = collector.snapshot(7);
    expect(more).toEqual([]);
    expect({ ...first!, latency: '', serviceTime: '', scheduleLag: '' }).toEqual({
      intervalIndex: 7,
      group: 'kubelet',
      window: 'measured',
      sent: 2,
      completed: 3,
      dropped: 1,
      byCode: { '200': 1, '429': 1, 'error:ECONNRESET': 1 },
      errors: 2,
      retries: 0,
      throttled: 1,
      latency: '',
      serviceTime: '',
      scheduleLag: '',
      clamped: 1,
      byKey: { 'GET pods 200': 1, 'LIST pods 429': 1, 'GET pods error:ECONNRESET': 1 },
      byPriorityLevel: { 'node-high': 2 },
      byFlowSchema: { 'system-nodes': 1 },
      counters: {},
      measures: {},
    });
    // The transport error (no HTTP response) is counted, but kept out of the latency and
    // service time of answered requests.
    expect(first!.latency).toBe(encoded([4000, 9000]));
    expect(first!.serviceTime).toBe(encoded([2000, 4500]));
    expect(first!.scheduleLag).toBe(encoded([1500, 0]));

    expect(collector.snapshot(8)).toEqual([snapshot({ intervalIndex: 8, group: 'kubelet' })]);
  });

  it('keeps a request abandoned at the end of the drain in the latency: it waited that long', () => {
    const collector = new GroupIntervalCollector('tenant');
    collector.completed(completion(transportErrorCode('ERR_POOL_DESTROYED'), 10_000_000));
    collector.completed(completion(transportErrorCode('ECONNREFUSED'), 300));
    const [s] = collector.snapshot(0);
    expect(s!.latency).toBe(encoded([10_000_000]));
    expect(s!.errors).toBe(2);
  });
});

describe('mergeSnapshots', () => {
  const workerA = [
    snapshot({
      intervalIndex: 0,
      sent: 10,
      completed: 8,
      dropped: 1,
      byCode: { '200': 6, '429': 2 },
      errors: 2,
      latency: encoded([1000, 2000, 3000]),
      scheduleLag: encoded([10, 20]),
      byKey: { 'GET pods 200': 6, 'GET pods 429': 2 },
      byPriorityLevel: { 'global-default': 8 },
      byFlowSchema: { 'global-default': 8 },
    }),
    snapshot({
      intervalIndex: 1,
      sent: 5,
      completed: 5,
      byCode: { '200': 5 },
      latency: encoded([4000]),
      byKey: { 'GET pods 200': 5 },
    }),
  ];
  const workerB = [
    snapshot({
      intervalIndex: 0,
      sent: 4,
      completed: 4,
      byCode: { '200': 3, 'error:ETIMEDOUT': 1 },
      errors: 1,
      latency: encoded([5000, 6000]),
      scheduleLag: encoded([30]),
      clamped: 2,
      byKey: { 'GET pods 200': 3, 'GET pods error:ETIMEDOUT': 1 },
      byPriorityLevel: { 'global-default': 3 },
    }),
    snapshot({ intervalIndex: 0, group: 'kubelet', sent: 2, completed: 2, byCode: { '200': 2 } }),
  ];

  it('merges two workers into one row per interval and group', () => {
    const { timeline } = mergeSnapshots([...workerB, ...workerA]);
    expect(timeline).toEqual([
      {
        t: 0,
        group: 'kubelet',
        sent: 2,
        completed: 2,
        dropped: 0,
        errorsByCode: {},
        p99Ms: null,
        rps: 2,
        throttled: 0,
      },
      {
        t: 0,
        group: 'tenant',
        sent: 14,
        completed: 12,
        dropped: 1,
        errorsByCode: { '429': 2, 'error:ETIMEDOUT': 1 },
        p99Ms: 6.003,
        rps: 12,
        throttled: 0,
      },
      {
        t: 1,
        group: 'tenant',
        sent: 5,
        completed: 5,
        dropped: 0,
        errorsByCode: {},
        p99Ms: 4.001,
        rps: 5,
        throttled: 0,
      },
    ]);
  });

  it('merges two workers into per-group totals', () => {
    const { totals } = mergeSnapshots([...workerA, ...workerB]);
    expect(totals.map((t) => t.group)).toEqual(['kubelet', 'tenant']);
    const tenant = totals[1];
    expect(tenant).toMatchObject({
      sent: 19,
      completed: 17,
      dropped: 1,
      errors: 3,
      byCode: { '200': 14, '429': 2, 'error:ETIMEDOUT': 1 },
      byKey: { 'GET pods 200': 14, 'GET pods 429': 2, 'GET pods error:ETIMEDOUT': 1 },
      byPriorityLevel: { 'global-default': 11 },
      byFlowSchema: { 'global-default': 8 },
      clamped: 2,
    });
    expect(tenant?.latencyMs.count).toBe(6);
    expect(tenant?.scheduleLagMs.max).toBe(0.03);
    expect(tenant?.serviceTimeMs.count).toBe(0);
    expect(tenant?.histograms.latency).toBe(encoded([1000, 2000, 3000, 4000, 5000, 6000]));
  });

  it('gives merged percentiles equal to those of one histogram fed every value', () => {
    const values = Array.from({ length: 3000 }, (_, i) => 50 + ((i * 7919) % 250_000));
    const perWorker = [0, 1, 2].map((w) =>
      snapshot({
        group: 'tenant',
        completed: 1000,
        latency: encoded(values.filter((_, i) => i % 3 === w)),
      }),
    );
    const all = createRecorder();
    values.forEach((v) => record(all, v));

    const { timeline, totals } = mergeSnapshots(perWorker);
    expect(totals[0]?.latencyMs).toEqual(summarizeMs(all));
    expect(timeline[0]?.p99Ms).toBe(summarizeMs(all).p99);
  });

  it('is the same merged incrementally, with a custom interval', () => {
    const aggregator = new TimelineAggregator(500);
    workerA.forEach((s) => aggregator.add(s));
    const merged = aggregator.result();
    expect(merged.timeline.map((r) => [r.t, r.rps])).toEqual([
      [0, 16],
      [0.5, 10],
    ]);
    expect(merged.totals).toEqual(mergeSnapshots(workerA, 500).totals);
  });
});

describe('retried attempts', () => {
  it('count as responses and retries, not as completions', () => {
    const c = new GroupIntervalCollector('tenant');
    c.retried({ intendedMs: 0, verb: 'get', resource: 'configmaps', code: '429' });
    c.completed({
      intendedMs: 0,
      verb: 'get',
      resource: 'configmaps',
      code: '200',
      latencyUs: 5000,
      serviceTimeUs: 4000,
    });
    const [s] = c.snapshot(0);
    expect(s).toMatchObject({ completed: 1, retries: 1, throttled: 1, errors: 0 });
    expect(s!.byCode).toEqual({ '429': 1, '200': 1 });
    expect(s!.byKey).toEqual({ 'get configmaps 429': 1, 'get configmaps 200': 1 });
    const merged = mergeSnapshots([s!, { ...s!, intervalIndex: 1 }]);
    expect(merged.totals[0]).toMatchObject({ retries: 2, throttled: 2, completed: 2 });
    expect(merged.timeline[1]).toMatchObject({ throttled: 1 });
  });
});

describe('actor-specific counters and measures', () => {
  it('sum counters and merge histograms by metric name over workers and intervals', () => {
    const a = new GroupIntervalCollector('kubelets');
    const b = new GroupIntervalCollector('kubelets');
    a.count('heartbeats.renewals', 3);
    a.observe('heartbeats.gap', 10_000_000);
    b.count('heartbeats.renewals');
    b.count('heartbeats.missed');
    b.observe('heartbeats.gap', 50_000_000);
    const merged = mergeSnapshots([...a.snapshot(0), ...b.snapshot(0), ...b.snapshot(1)]);
    const totals = merged.totals[0]!;
    expect(totals.counters).toEqual({ 'heartbeats.renewals': 4, 'heartbeats.missed': 1 });
    expect(totals.measures['heartbeats.gap']!.summaryMs.count).toBe(2);
    expect(totals.measures['heartbeats.gap']!.summaryMs.max).toBeGreaterThanOrEqual(50_000);
    expect(merged.timeline[0]!.counters).toEqual({
      'heartbeats.renewals': 4,
      'heartbeats.missed': 1,
    });
    expect(merged.timeline[1]!.counters).toBeUndefined();
  });
});

describe('TimelineAggregator live progress', () => {
  it('sums every group and reports completions per interval', () => {
    const agg = new TimelineAggregator();
    const a = new GroupIntervalCollector('a');
    const b = new GroupIntervalCollector('b');
    a.sent(0);
    a.completed({
      intendedMs: 0,
      verb: 'get',
      resource: 'configmaps',
      code: '429',
      latencyUs: 1000,
      serviceTimeUs: 900,
    });
    b.sent(0);
    b.sent(0);
    b.dropped(0);
    b.completed({
      intendedMs: 0,
      verb: 'get',
      resource: 'configmaps',
      code: '200',
      latencyUs: 50_000,
      serviceTimeUs: 900,
    });
    [...a.snapshot(0), ...b.snapshot(0), ...b.snapshot(1)].forEach((s) => agg.add(s));
    expect(agg.progress()).toMatchObject({
      sent: 3,
      completed: 2,
      errors: 1,
      throttled: 1,
      dropped: 1,
    });
    expect(agg.progress().p99Ms).toBeGreaterThanOrEqual(49.9);
    expect(agg.progress().groups).toEqual([
      { group: 'a', byCode: { '429': 1 }, byKey: { 'get configmaps 429': 1 } },
      { group: 'b', byCode: { '200': 1 }, byKey: { 'get configmaps 200': 1 } },
    ]);
    expect(agg.completedIn(0)).toBe(2);
    expect(agg.completedIn(1)).toBe(0);
  });
});

describe('windows', () => {
  it("split an interval's snapshot by the window of each request's intended send time", () => {
    let now = 5200;
    const c = new GroupIntervalCollector('tenant', { measuredFromMs: 5000, now: () => now });
    // Sent at 4.9 s, in the warm-up, answered at 5.2 s: the warm-up's, though it ended after it.
    c.completed(completion('200', 300_000, { intendedMs: 4900 }));
    c.sent(5100);
    c.lag(5100, 2000);
    c.dropped(5150);
    c.retried({ intendedMs: 4950, verb: 'GET', resource: 'pods', code: '429' });
    c.count('watch.events');
    c.count('renewals', 1, 4999);
    const [warmup, measured, ...more] = c.snapshot(5);
    expect(more).toEqual([]);
    expect(warmup).toMatchObject({
      window: 'warmup',
      intervalIndex: 5,
      sent: 0,
      completed: 1,
      retries: 1,
      throttled: 1,
      byCode: { '200': 1, '429': 1 },
      counters: { renewals: 1 },
    });
    expect(measured).toMatchObject({
      window: 'measured',
      intervalIndex: 5,
      sent: 1,
      dropped: 1,
      completed: 0,
      byCode: {},
      counters: { 'watch.events': 1 },
    });
    expect(measured!.scheduleLag).toBe(encoded([2000]));
    // An idle interval gives one empty snapshot, of the window it ended in.
    expect(c.snapshot(6)).toEqual([snapshot({ intervalIndex: 6, window: 'measured' })]);
    now = 100;
    expect(c.snapshot(0)).toEqual([snapshot({ intervalIndex: 0, window: 'warmup' })]);
  });
});

describe('wall-clock row starts', () => {
  it('are t = 0 plus t, in ISO 8601 with ms, when the origin is given', () => {
    const aggregator = new TimelineAggregator(500);
    aggregator.add(snapshot({ intervalIndex: 0 }));
    aggregator.add(snapshot({ intervalIndex: 3 }));
    const origin = Date.parse('2026-12-02T10:00:00.250Z');
    expect(aggregator.result(origin).timeline.map((r) => [r.t, r.at])).toEqual([
      [0, '2026-12-02T10:00:00.250Z'],
      [1.5, '2026-12-02T10:00:01.750Z'],
    ]);
    expect(aggregator.result().timeline[0]).not.toHaveProperty('at');
  });
});
