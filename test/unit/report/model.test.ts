import { describe, expect, it } from 'vitest';
import { createAccumulator, encode, record } from '../../../src/metrics/histogram.js';
import { buildRunReport } from '../../../src/report/model.js';
import type { RunResult } from '../../../src/result/result.js';
import { percentileSpectrum } from '../../../src/report/spectrum.js';
import { ControllerMetric, controllerSections } from '../../../src/actors/controller/index.js';
import { KubeletMetric, kubeletSections } from '../../../src/metrics/heartbeats.js';
import { fairnessWith, loadFixture, serverWith } from './fixture.js';

const fixture = loadFixture();

/** The fixture with its only group's counters changed. */
function withTenant(requests: Partial<RunResult['actors'][string]['requests']>): RunResult {
  const tenant = fixture.actors.tenant!;
  return {
    ...fixture,
    actors: { tenant: { ...tenant, requests: { ...tenant.requests, ...requests } } },
  };
}

describe('buildRunReport', () => {
  const model = buildRunReport(fixture);

  it('says what was run', () => {
    expect(model.title).toBe('tenant-smoke');
    expect(model.runs).toHaveLength(1);
    const run = model.runs[0]!;
    expect(run).toMatchObject({
      label: 'tenant-smoke',
      status: 'completed',
      tool: 'apfbench 0.1.0',
      target: { serverVersion: 'v1.37.2', local: true },
      workers: 1,
    });
    expect(run.durationSeconds).toBeCloseTo(5.713, 3);
  });

  it('puts the verdicts of a clean run first, with the generator last', () => {
    expect(model.verdicts.map((v) => [v.topic, v.level])).toEqual([
      ['throttling', 'ok'],
      ['conflicts', 'ok'],
      ['generator', 'ok'],
    ]);
    expect(model.verdicts[2]!.text).toContain('event-loop delay p99 5.72 ms');
  });

  it.each([
    [
      '429s above 1 % are bad',
      { throttled: 50, byCode: { '200': 950, '429': 50 } },
      'throttling',
      'bad',
      '50 responses were 429 (5% of all) — all tenant.',
    ],
    [
      'a few 429s warn',
      { throttled: 5, byCode: { '200': 995, '429': 5 } },
      'throttling',
      'warn',
      '(0.5% of all)',
    ],
    [
      '409s warn',
      { byCode: { '200': 990, '409': 10 } },
      'conflicts',
      'warn',
      '10 responses were 409 Conflict — all tenant',
    ],
    [
      'other errors are bad',
      { byCode: { '200': 990, '500': 3, 'error:ECONNRESET': 7 } },
      'errors',
      'bad',
      '10 other error responses',
    ],
    [
      'requests abandoned when the drain ended warn, as a line of their own',
      { byCode: { '200': 990, 'error:ERR_POOL_DESTROYED': 8, 'error:ERR_POOL_CLOSED': 2 } },
      'abandoned',
      'warn',
      '10 requests still in flight when the drain ended, abandoned (not counted as errors) — all tenant.',
    ],
    ['drops warn', { dropped: 1234 }, 'dropped', 'warn', '1,234 sends were dropped'],
  ] as const)('%s', (_, requests, topic, level, text) => {
    const v = buildRunReport(withTenant(requests)).verdicts.find((x) => x.topic === topic);
    expect(v?.level).toBe(level);
    expect(v?.text).toContain(text);
  });

  it("says why the intended load was not offered, from the result's cap judgement", () => {
    const reason =
      'tenant: 1234 of 2234 due sends dropped at maxInFlight 64 (…): the server answered slower than the cap allows, not the generator; a larger maxInFlight offers the intended load';
    const capped = withTenant({ dropped: 1234 });
    const model = buildRunReport({
      ...capped,
      generator: { ...capped.generator, capped: true, cappedReasons: [reason] },
    });
    expect(model.verdicts.map((v) => [v.topic, v.level])).toContainEqual(['dropped', 'warn']);
    expect(model.verdicts.find((v) => v.topic === 'dropped')?.text).toBe(
      `The intended load was not offered — ${reason}.`,
    );
    expect(model.verdicts.find((v) => v.topic === 'generator')?.level).toBe('ok');
  });

  it("shows the harness's cost next to the generator's verdict, and warns when it was high", () => {
    const server = serverWith([]);
    const cost = (generator: Partial<RunResult['generator']>, local = true) =>
      buildRunReport({
        ...fixture,
        target: { ...fixture.target, local },
        server: { ...server, cpuSeconds: 20 },
        generator: { ...fixture.generator, harnessCpuSeconds: 2.4, ...generator },
      }).verdicts.find((v) => v.topic === 'harness');
    expect(cost({ harnessServerCpuRatio: 0.12 })).toEqual({
      level: 'ok',
      topic: 'harness',
      text: "The harness used 12 % of the API server's CPU (2.4 CPU-s against 20 over the measured window).",
    });
    const costly = { harnessCpuSeconds: 8, harnessServerCpuRatio: 0.4 };
    expect(cost(costly)?.level).toBe('warn');
    // Not on a host it shares with the server: it took nothing from the server.
    expect(cost(costly, false)?.level).toBe('ok');
    const busy = cost({
      harnessServerCpuRatio: 0.12,
      workerCpu: { runMs: 1000, runDelayMs: 800 },
    });
    expect(busy?.level).toBe('warn');
    expect(busy?.text).toContain('the host was contended');
    // A result written before the harness's cost was recorded has no such line.
    expect(buildRunReport(fixture).verdicts.map((v) => v.topic)).not.toContain('harness');
  });

  it('does not count abandoned requests as errors', () => {
    const model = buildRunReport(
      withTenant({ errors: 13, byCode: { '200': 987, '500': 3, 'error:ERR_POOL_DESTROYED': 10 } }),
    );
    expect(model.groups[0]).toMatchObject({ otherErrors: 3, abandoned: 10 });
    expect(model.verdicts.find((v) => v.topic === 'errors')?.text).toBe(
      "3 other error responses or transport errors (not 429 or 409, nor a kubelet's lookup of a Lease it has yet to create, nor abandoned) — all tenant; see the codes in the table.",
    );
    expect(model.verdicts.find((v) => v.topic === 'abandoned')?.text).toMatch(/^10 requests/);
  });

  it('names every group of a figure, and warns only for 429s all on groups named noisy', () => {
    const tenant = fixture.actors.tenant!;
    const group = (throttled: number) => ({
      ...tenant,
      requests: { ...tenant.requests, throttled, byCode: { '200': 900, '429': throttled } },
    });
    const run = (noisy: number, quiet: number): RunResult => ({
      ...fixture,
      actors: { quiet: group(quiet), noisy: group(noisy) },
      fairness: fairnessWith({}, [{ victim: 'quiet', noisy: 'noisy' }]),
    });
    const throttling = (r: RunResult) =>
      buildRunReport(r).verdicts.find((v) => v.topic === 'throttling')!;
    expect(throttling(run(100, 0))).toEqual({
      level: 'warn',
      topic: 'throttling',
      text: '100 responses were 429 (5.26% of all) — all noisy; every 429 went to a group named noisy (--noisy): APF held back the noisy neighbour, not its victims.',
    });
    expect(throttling(run(100, 20))).toMatchObject({
      level: 'bad',
      text: '120 responses were 429 (6.25% of all) — quiet: 20, noisy: 100.',
    });
  });

  it("does not count a kubelet's lookup of a Lease it has yet to create as an error", () => {
    const tenant = fixture.actors.tenant!;
    const kubelets = (byCode: Record<string, number>, byKey: Record<string, number>) =>
      buildRunReport({
        ...fixture,
        actors: {
          kubelets: {
            type: 'kubelet',
            count: tenant.count,
            ...kubeletSections({ counters: {}, measures: {} }, { watchPods: false }),
            requests: { ...tenant.requests, byCode, byKey, errors: byCode['404'] ?? 0 },
          },
        },
      }).verdicts.find((v) => v.topic === 'errors');
    const leases = { 'update leases 200': 990, 'get leases 404': 10, 'create leases 201': 10 };
    expect(kubelets({ '200': 990, '201': 10, '404': 10 }, leases)).toBeUndefined();
    // One 404 that is not a lease lookup is still an error.
    const v = kubelets({ '200': 990, '201': 10, '404': 11 }, { ...leases, 'get nodes 404': 1 });
    expect(v?.level).toBe('bad');
    expect(v?.text).toContain('1 other error responses');
  });

  it('renders heartbeat, watch and fairness verdicts only when the result has them', () => {
    const topics = (r: RunResult) => buildRunReport(r).verdicts.map((v) => v.topic);
    expect(topics(fixture)).not.toContain('heartbeats');
    const tenant = fixture.actors.tenant!;
    const counters = (c: Record<string, number>) => ({ counters: c, measures: {} });
    const full: RunResult = {
      ...fixture,
      status: 'aborted',
      reason: 'interrupted',
      actors: {
        tenant,
        kubelets: {
          type: 'kubelet',
          count: 10,
          requests: tenant.requests,
          ...kubeletSections(counters({ [KubeletMetric.renewals]: 50, [KubeletMetric.late]: 2 }), {
            watchPods: false,
          }),
        },
        ctrl: {
          type: 'controller',
          count: 1,
          requests: tenant.requests,
          ...controllerSections(
            counters({ [ControllerMetric.events]: 100, [ControllerMetric.lost]: 1 }),
          ),
        },
      },
      fairness: fairnessWith({ 'global-default': { jainIndex: 0.5, flows: 2 } }),
    };
    expect(buildRunReport(full).verdicts.map((v) => [v.topic, v.level])).toEqual([
      ['status', 'bad'],
      ['heartbeats', 'warn'],
      ['throttling', 'ok'],
      ['conflicts', 'ok'],
      ['watch', 'bad'],
      ['fairness', 'warn'],
      ['generator', 'ok'],
    ]);
    expect(buildRunReport(full).fairness).toEqual([
      {
        run: 'tenant-smoke',
        priorityLevel: 'global-default',
        flows: 2,
        jainIndex: 0.5,
        seatShare: undefined,
        nominalShare: undefined,
      },
    ]);
  });

  it.each([
    {
      status: 'degraded',
      reason: '12 % of sends got no HTTP response (ECONNREFUSED: 240) in 2 s',
      text: 'The run is degraded: 12 % of sends got no HTTP response (ECONNREFUSED: 240) in 2 s. Latencies cover only the requests the server answered.',
    },
    {
      status: 'failed',
      reason: 'worker 1: out of memory',
      text: 'The run failed: worker 1: out of memory. Figures cover only the part that ran.',
    },
    {
      status: 'aborted',
      reason: 'interrupted',
      text: 'The run was aborted: interrupted. Figures cover only the part that ran.',
    },
  ] as const)('leads with a $status run, and why', ({ status, reason, text }) => {
    const verdicts = buildRunReport({ ...fixture, status, reason }).verdicts;
    expect(verdicts[0]).toEqual({ level: 'bad', topic: 'status', text });
  });

  it('has one table row per group with its codes and latency percentiles', () => {
    expect(model.groups).toEqual([
      {
        run: 'tenant-smoke',
        group: 'tenant',
        type: 'tenant',
        instances: 1,
        requests: 1000,
        sent: 1000,
        ratePerSecond: 200,
        codes: [
          ['200', 919],
          ['201', 81],
        ],
        latencyMs: fixture.actors.tenant!.requests.latencyMs,
        dropped: 0,
        retries: 0,
        throttled: 0,
        conflicts: 0,
        errors: 0,
        otherErrors: 0,
        abandoned: 0,
      },
    ]);
    expect(model.fairness).toEqual([]);
  });

  it('has the four client-side charts, and server charts only with server data', () => {
    expect(model.charts.map((c) => c.id)).toEqual([
      'latency-spectrum',
      'throughput',
      'throttling-conflicts',
      'latency-p99',
    ]);
    for (const c of model.charts) {
      expect(c.title).not.toBe('');
      expect(c.xTitle).toMatch(/\(.+\)/);
      expect(c.yTitle).toMatch(/\(.+\)/);
    }
    const throughput = model.charts[1]!;
    expect(throughput.series.map((s) => [s.label, s.dashed])).toEqual([
      ['tenant completed', false],
      ['tenant sent', true],
    ]);
    expect(throughput.series[0]!.points).toEqual(
      fixture.timeline.map((row) => ({ x: row.t, y: row.rps })),
    );

    const t0 = Date.parse(fixture.startedAt);
    const level = (executingSeats: number) => ({ executingSeats, inqueueRequests: 0 });
    const withServer = buildRunReport({
      ...fixture,
      server: serverWith([
        { t: t0 + 500, priorityLevels: { 'workload-low': level(3), 'global-default': level(1) } },
        { t: t0 + 1500, priorityLevels: { 'global-default': level(2) } },
      ]),
    });
    const seats = withServer.charts.find((c) => c.id === 'server-executing-seats');
    expect(seats?.series.map((s) => [s.label, s.points])).toEqual([
      [
        'global-default',
        [
          { x: 0.5, y: 1 },
          { x: 1.5, y: 2 },
        ],
      ],
      ['workload-low', [{ x: 0.5, y: 3 }]],
    ]);
  });

  it('plots the latency spectrum from the encoded histogram, ending at the p(1 − 1/n) value', () => {
    const spectrum = model.charts[0]!.series[0]!.points;
    expect(spectrum[0]).toEqual({ x: 1, y: expect.any(Number) });
    expect(spectrum.find((p) => p.x === 10)?.y).toBeCloseTo(
      fixture.actors.tenant!.requests.latencyMs.p90,
      0,
    );
    expect(spectrum.find((p) => p.x === 100)?.y).toBeCloseTo(
      fixture.actors.tenant!.requests.latencyMs.p99,
      0,
    );
    expect(spectrum.at(-1)).toEqual({ x: 1000, y: fixture.actors.tenant!.requests.latencyMs.p999 });
    for (let i = 1; i < spectrum.length; i++) {
      expect(spectrum[i]!.x).toBeGreaterThan(spectrum[i - 1]!.x);
      expect(spectrum[i]!.y).toBeGreaterThanOrEqual(spectrum[i - 1]!.y);
    }
  });
});

describe('percentileSpectrum', () => {
  it('walks ten points per decade of 1/(1 − p) up to the count', () => {
    const h = createAccumulator();
    for (let v = 1; v <= 100; v++) record(h, v * 1000);
    const points = percentileSpectrum(encode(h));
    expect(points.map((p) => p.x)).toEqual([
      1, 1.259, 1.585, 1.995, 2.512, 3.162, 3.981, 5.012, 6.31, 7.943, 10, 12.59, 15.85, 19.95,
      25.12, 31.62, 39.81, 50.12, 63.1, 79.43, 100,
    ]);
    // Values are HDR's highest equivalent value (3 significant digits).
    expect(points.find((p) => p.x === 10)?.y).toBeCloseTo(90, 0);
    expect(points.at(-1)?.y).toBeCloseTo(99, 0);
  });

  it('is empty for an empty histogram', () => {
    expect(percentileSpectrum('')).toEqual([]);
  });
});
