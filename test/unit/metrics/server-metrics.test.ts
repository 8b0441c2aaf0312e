import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { parsePrometheusText } from '../../../src/metrics/prometheus.js';
import {
  ServerMetric,
  clientCountsAsServer,
  counterDelta,
  flowControlPoint,
  flowControlSummary,
  gaugeValues,
  increase,
  parseSnapshot,
  requestCountsByVerbResourceCode,
  type MetricsSnapshot,
} from '../../../src/metrics/server-metrics.js';

/**
 * Captured from a real kube-apiserver 1.37 (trimmed to the families read here): `apf-before`
 * after two extra priority levels were set up (apfbench-reject with limitResponse Reject,
 * apfbench-queue with one queue of length 1, each with its own flow schema for one tenant);
 * `apf-after` once tenant-0 had made 5 GETs of a missing configmap, 3 LISTs, a create, a GET,
 * a merge PATCH, an apply PATCH, a 1 s WATCH and a DELETE, and tenants 1 and 2 had each sent
 * 400 concurrent LISTs of configmaps into their tiny levels.
 */
const fixture = (name: string): MetricsSnapshot =>
  parseSnapshot(
    readFileSync(new URL(`../../fixtures/metrics/${name}.txt`, import.meta.url), 'utf8'),
    0,
  );
const before = fixture('apf-before');
const after = fixture('apf-after');

describe('parsePrometheusText', () => {
  it('reads HELP, TYPE and labelled samples from the real output', () => {
    const nominal = after.families.get(ServerMetric.nominalLimitSeats);
    expect(nominal?.type).toBe('gauge');
    expect(nominal?.help).toBe(
      '[BETA] Nominal number of execution seats configured for each priority level',
    );
    expect(nominal?.samples).toContainEqual({
      name: ServerMetric.nominalLimitSeats,
      labels: { priority_level: 'global-default' },
      value: 49,
    });
  });

  it('keeps histogram samples as _bucket (with le), _sum and _count in one family', () => {
    const wait = after.families.get(ServerMetric.waitDuration);
    expect(wait?.type).toBe('histogram');
    const series = (wait?.samples ?? []).filter(
      (s) => s.labels.flow_schema === 'global-default' && s.labels.execute === 'true',
    );
    const buckets = series.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets.map((s) => s.labels.le)).toEqual([
      '0',
      '0.005',
      '0.02',
      '0.05',
      '0.1',
      '0.2',
      '0.5',
      '1',
      '2',
      '5',
      '10',
      '15',
      '30',
      '+Inf',
    ]);
    expect(buckets.at(-1)?.value).toBe(14);
    expect(series.find((s) => s.name.endsWith('_count'))?.value).toBe(14);
    expect(series.find((s) => s.name.endsWith('_sum'))?.value).toBeCloseTo(0.000331028, 9);
  });

  it('undoes escapes in label values and HELP text', () => {
    const families = parsePrometheusText(
      [
        '# HELP odd_total A help with a \\\\ backslash\\nand a new line.',
        '# TYPE odd_total counter',
        'odd_total{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",brace="}{,=",} 3',
      ].join('\n'),
    );
    const odd = families.get('odd_total');
    expect(odd?.help).toBe('A help with a \\ backslash\nand a new line.');
    expect(odd?.samples[0]?.labels).toEqual({
      path: 'C:\\dir',
      quote: 'say "hi"',
      nl: 'a\nb',
      brace: '}{,=',
    });
  });

  it.each([
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['1.5e-3', 0.0015],
    ['-7', -7],
  ])('reads the value %s', (text, value) => {
    const samples = parsePrometheusText(`x ${text} 1700000000000`).get('x')?.samples;
    expect(samples).toEqual([{ name: 'x', labels: {}, value }]);
  });

  it('reads NaN', () => {
    expect(parsePrometheusText('x NaN').get('x')?.samples[0]?.value).toBeNaN();
  });

  it('puts a sample that does not fit the declared family into an untyped family', () => {
    const families = parsePrometheusText('# TYPE a counter\na 1\nb{x="1"} 2\n');
    expect(families.get('a')?.samples).toHaveLength(1);
    expect(families.get('b')).toEqual({
      name: 'b',
      type: 'untyped',
      help: '',
      samples: [{ name: 'b', labels: { x: '1' }, value: 2 }],
    });
  });

  it('keeps only the families asked for', () => {
    const families = parsePrometheusText(
      readFileSync(new URL('../../fixtures/metrics/apf-after.txt', import.meta.url), 'utf8'),
      { families: new Set([ServerMetric.waitDuration]) },
    );
    expect([...families.keys()]).toEqual([ServerMetric.waitDuration]);
    expect(families.get(ServerMetric.waitDuration)?.samples.length).toBeGreaterThan(0);
  });

  it.each([
    ['x{a="1} 2', '/metrics line 1: unterminated value of label a'],
    ['x{a="1"', '/metrics line 1: expected , or } after label a'],
    ['x{a=1} 2', '/metrics line 1: expected ="…" after label a'],
    ['x{a="1" b="2"} 3', '/metrics line 1: expected , or } after label a'],
    ['x{a="1"}', '/metrics line 1: expected a value and an optional timestamp after the labels'],
    ['ok 1\nx one', '/metrics line 2: "one" is not a number'],
    ['# TYPE x countr', '/metrics line 1: unknown metric type "countr"'],
    ['{a="1"} 1', '/metrics line 1: expected a metric name'],
  ])('rejects %j', (text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});

const snap = (text: string): MetricsSnapshot => parseSnapshot(text, 0);

describe('counterDelta', () => {
  const t0 = snap(
    [
      'c_total{pl="a",fs="x"} 10',
      'c_total{pl="a",fs="y"} 5',
      'c_total{pl="b",fs="z"} 100',
      'c_total{pl="gone",fs="q"} 9',
    ].join('\n'),
  );
  const t1 = snap(
    [
      'c_total{fs="x",pl="a"} 15',
      'c_total{pl="a",fs="y"} 5',
      'c_total{pl="b",fs="z"} 4',
      'c_total{pl="c",fs="new"} 7',
    ].join('\n'),
  );

  it.each([
    ['sums by one label, matching series whatever their label order', ['pl'], { a: 5, b: 4, c: 7 }],
    ['keys by the joined label values', ['pl', 'fs'], { 'a x': 5, 'a y': 0, 'b z': 4, 'c new': 7 }],
    ['sums everything with no labels', [], { '': 16 }],
    ['treats a missing label as empty', ['pl', 'none'], { 'a ': 5, 'b ': 4, 'c ': 7 }],
  ])('%s', (_what, groupBy, expected) => {
    expect(counterDelta(t0, t1, 'c_total', groupBy)).toEqual(expected);
  });

  it('applies the filter before summing', () => {
    expect(counterDelta(t0, t1, 'c_total', ['pl'], (l) => l.pl !== 'c')).toEqual({ a: 5, b: 4 });
  });

  it('reads _count and _sum of a histogram family', () => {
    const delta = (name: string) =>
      counterDelta(before, after, name, ['priority_level'], (l) => l.execute === 'false');
    expect(delta(`${ServerMetric.waitDuration}_count`)).toEqual({
      'apfbench-queue': 208,
      'apfbench-reject': 197,
    });
  });

  it('is empty for a metric neither snapshot has', () => {
    expect(counterDelta(t0, t1, 'missing_total', ['pl'])).toEqual({});
  });
});

describe('increase', () => {
  it.each([
    [3, 10, 7],
    [10, 10, 0],
    [10, 4, 4],
    [0, 0, 0],
  ])('from %d to %d is %d', (from, to, expected) => {
    expect(increase(from, to)).toBe(expected);
  });
});

describe('gaugeValues', () => {
  it('sums a gauge of the real output by priority level', () => {
    expect(gaugeValues(after, ServerMetric.executingSeats, ['priority_level'])).toEqual({
      'apfbench-queue': 0,
      'apfbench-reject': 0,
      exempt: 1,
      'global-default': 0,
    });
  });
});

describe('requestCountsByVerbResourceCode', () => {
  it('maps the real counters of configmaps in the core group', () => {
    expect(
      requestCountsByVerbResourceCode(before, after, { resource: 'configmaps', group: '' }),
    ).toEqual({
      'LIST configmaps 200': 398,
      'WATCH configmaps 200': 1,
      'APPLY configmaps 200': 1,
      'DELETE configmaps 200': 1,
      'GET configmaps 200': 1,
      'PATCH configmaps 200': 1,
      'POST configmaps 201': 1,
      'GET configmaps 404': 5,
      'PUT configmaps 404': 0,
      'LIST configmaps 429': 405,
    });
  });

  it('leaves out non-resource requests such as /readyz and /metrics', () => {
    const t0 = snap(
      'apiserver_request_total{verb="GET",resource="",subresource="/readyz",code="200"} 1',
    );
    const t1 = snap(
      [
        'apiserver_request_total{verb="GET",resource="",subresource="/readyz",code="200"} 9',
        'apiserver_request_total{verb="GET",resource="",subresource="/metrics",code="200"} 2',
        'apiserver_request_total{verb="PATCH",group="",resource="pods",subresource="status",code="200"} 3',
        'apiserver_request_total{verb="GET",group="apps",resource="pods",subresource="",code="200"} 1',
      ].join('\n'),
    );
    expect(requestCountsByVerbResourceCode(t0, t1)).toEqual({
      'PATCH pods/status 200': 3,
      'GET pods 200': 1,
    });
    expect(requestCountsByVerbResourceCode(t0, t1, { group: '' })).toEqual({
      'PATCH pods/status 200': 3,
    });
  });
});

describe('flowControlSummary', () => {
  const summary = flowControlSummary(before, after);

  it('covers every priority level the server reports', () => {
    expect(Object.keys(summary).sort()).toEqual([
      'apfbench-queue',
      'apfbench-reject',
      'catch-all',
      'exempt',
      'global-default',
      'leader-election',
      'node-high',
      'system',
      'workload-high',
      'workload-low',
    ]);
  });

  it('gives deltas, rejections by reason and gauges per level and flow schema', () => {
    const reject = summary['apfbench-reject'];
    expect(reject).toMatchObject({
      dispatched: 203,
      rejected: { 'concurrency-limit': 197 },
      waitCount: 400,
      executingSeats: 0,
      inqueueRequests: 0,
      nominalLimitSeats: 3,
      currentLimitSeats: 7,
    });
    expect(reject?.waitSumSeconds).toBeCloseTo(0.032083342 + 0.001672657, 9);
    expect(reject?.flowSchemas['apfbench-reject']).toMatchObject({
      dispatched: 203,
      rejected: { 'concurrency-limit': 197 },
    });
    expect(summary['apfbench-queue']?.rejected).toEqual({ 'queue-full': 208 });
  });

  it('counts series that are new in after from zero', () => {
    expect(summary['global-default']).toMatchObject({
      dispatched: 14,
      rejected: {},
      waitCount: 14,
      nominalLimitSeats: 49,
      flowSchemas: { 'global-default': { dispatched: 14, waitCount: 14 } },
    });
  });

  it('subtracts what was there before', () => {
    expect(summary.exempt?.dispatched).toBe(479 - 477);
  });

  it('leaves limit seats undefined for a level without them', () => {
    const only = snap(
      'apiserver_flowcontrol_dispatched_requests_total{priority_level="p",flow_schema="f"} 2',
    );
    expect(flowControlSummary(only, only).p).toEqual({
      dispatched: 0,
      rejected: {},
      waitCount: 0,
      waitSumSeconds: 0,
      executingSeats: 0,
      inqueueRequests: 0,
      nominalLimitSeats: undefined,
      currentLimitSeats: undefined,
      flowSchemas: {
        f: {
          dispatched: 0,
          rejected: {},
          waitCount: 0,
          waitSumSeconds: 0,
          executingSeats: 0,
          inqueueRequests: 0,
        },
      },
    });
  });
});

describe('flowControlPoint', () => {
  it('keeps the gauges and cumulative counters per priority level', () => {
    const point = flowControlPoint({ ...after, scrapedAt: 1234 });
    expect(point.t).toBe(1234);
    expect(point.priorityLevels['apfbench-queue']).toEqual({
      executingSeats: 0,
      inqueueRequests: 0,
      nominalLimitSeats: 3,
      currentLimitSeats: 7,
      dispatchedTotal: 192,
      rejectedTotal: 208,
    });
  });
});

describe('flowControlPoint of the server process', () => {
  const text = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    'process_cpu_seconds_total 42.5',
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes 3.2e+08',
  ].join('\n');

  it('keeps its CPU and resident memory', () => {
    const point = flowControlPoint(parseSnapshot(text, 5));
    expect(point.cpuSeconds).toBe(42.5);
    expect(point.residentMemoryBytes).toBe(320_000_000);
  });

  it('leaves them out where the server does not expose them', () => {
    const point = flowControlPoint(after);
    expect(point).not.toHaveProperty('cpuSeconds');
    expect(point).not.toHaveProperty('residentMemoryBytes');
  });
});

describe('clientCountsAsServer', () => {
  it('renames verbs as apiserver_request_total does and sums by key', () => {
    const byKey = {
      'get configmaps 200': 5,
      'list configmaps 200': 2,
      'create configmaps 201': 3,
      'update configmaps 409': 1,
      'patch leases 200': 4,
      'delete configmaps 404': 1,
    };
    expect(clientCountsAsServer(byKey)).toEqual({
      'GET configmaps 200': 5,
      'LIST configmaps 200': 2,
      'POST configmaps 201': 3,
      'PUT configmaps 409': 1,
      'PATCH leases 200': 4,
      'DELETE configmaps 404': 1,
    });
    expect(clientCountsAsServer(byKey, 'leases')).toEqual({ 'PATCH leases 200': 4 });
  });
});
