import { describe, expect, it } from 'vitest';
import { countsPerBucket, createAccumulator, record } from '../../../src/metrics/histogram.js';
import { KubeletMetric } from '../../../src/metrics/heartbeats.js';
import { LiveMetric, LiveMetrics } from '../../../src/metrics/live-metrics.js';
import { parsePrometheusText, type Sample } from '../../../src/metrics/prometheus.js';
import { encoded, snapshot } from '../../support/snapshot.js';

/** Encoded µs values. */
const hist = (...us: number[]) => encoded(us);

const scrape = async (live: LiveMetrics) => parsePrometheusText(await live.metrics());

const value = (samples: readonly Sample[], match: Record<string, string>, name?: string) =>
  samples
    .filter((x) => name === undefined || x.name === name)
    .filter((x) => Object.entries(match).every(([k, v]) => x.labels[k] === v))
    .reduce((n, x) => n + x.value, 0);

describe('countsPerBucket', () => {
  it('puts each value in the first bucket whose bound it does not exceed, the rest last', () => {
    const h = createAccumulator();
    for (const us of [500, 1000, 1001, 2000, 9000, 10_000, 50_000]) record(h, us);
    expect(countsPerBucket(h, [1000, 2000, 10_000])).toEqual([2, 2, 2, 1]);
  });

  it('counts nothing for an empty histogram', () => {
    expect(countsPerBucket(createAccumulator(), [1, 2])).toEqual([0, 0, 0]);
  });
});

describe('LiveMetrics', () => {
  it('sums the workers’ intervals per group, warm-up apart from the measured window', async () => {
    const live = new LiveMetrics();
    live.startRun({ runId: 'r1', scenario: 's', profile: 'p' });
    live.add({
      workerIndex: 0,
      snapshots: [
        snapshot({
          intervalIndex: 0,
          window: 'warmup',
          sent: 5,
          completed: 4,
          byCode: { '200': 4 },
        }),
        snapshot({ intervalIndex: 1, sent: 10, completed: 9, byCode: { '200': 7, '429': 2 } }),
      ],
    });
    live.add({
      workerIndex: 1,
      snapshots: [
        snapshot({ intervalIndex: 1, sent: 3, completed: 5, dropped: 1, byCode: { '201': 5 } }),
      ],
    });
    const families = await scrape(live);
    const responses = families.get(LiveMetric.responses)!;
    expect(responses.type).toBe('counter');
    const measured = { run: 'r1', group: 'tenant', phase: 'measured' };
    expect(value(responses.samples, { ...measured, code: '200' })).toBe(7);
    expect(value(responses.samples, { ...measured, code: '201' })).toBe(5);
    expect(value(responses.samples, { ...measured, code: '429' })).toBe(2);
    expect(value(responses.samples, { phase: 'warmup', code: '200' })).toBe(4);
    expect(value(families.get(LiveMetric.sent)!.samples, measured)).toBe(13);
    expect(value(families.get(LiveMetric.dropped)!.samples, measured)).toBe(1);
    expect(value(families.get(LiveMetric.completed)!.samples, measured)).toBe(14);
    // 18 sent, 18 completed over both phases.
    expect(value(families.get(LiveMetric.inFlight)!.samples, { group: 'tenant' })).toBe(0);
    expect(value(families.get(LiveMetric.runInfo)!.samples, { run: 'r1', profile: 'p' })).toBe(1);
  });

  it('exposes latency as a histogram with cumulative buckets, count and sum in seconds', async () => {
    const live = new LiveMetrics();
    live.startRun({ runId: 'r', scenario: 's' });
    // 3 ms, 3 ms, 150 ms, 2 min (above the last bound).
    const latency = hist(3000, 3000, 150_000, 120_000_000);
    live.add({ workerIndex: 0, snapshots: [snapshot({ intervalIndex: 0, latency })] });
    live.add({ workerIndex: 1, snapshots: [snapshot({ intervalIndex: 0, latency: hist(3000) })] });
    const family = (await scrape(live)).get(LiveMetric.latency)!;
    expect(family.type).toBe('histogram');
    const bucket = (le: string) => value(family.samples, { le }, `${LiveMetric.latency}_bucket`);
    expect(bucket('0.0025')).toBe(0);
    expect(bucket('0.005')).toBe(3);
    expect(bucket('0.1')).toBe(3);
    expect(bucket('0.2')).toBe(4);
    expect(bucket('60')).toBe(4);
    expect(bucket('+Inf')).toBe(5);
    expect(value(family.samples, {}, `${LiveMetric.latency}_count`)).toBe(5);
    expect(value(family.samples, {}, `${LiveMetric.latency}_sum`)).toBeCloseTo(120.159, 1);
  });

  it('exposes heartbeat gaps and late and missed counts of kubelet groups', async () => {
    const live = new LiveMetrics();
    live.startRun({ runId: 'r', scenario: 's' });
    live.add({
      workerIndex: 0,
      snapshots: [
        snapshot({
          intervalIndex: 0,
          group: 'kubelets',
          counters: { [KubeletMetric.late]: 2, [KubeletMetric.missed]: 1 },
          measures: { [KubeletMetric.gap]: hist(10_000_000, 16_000_000, 45_000_000) },
        }),
      ],
    });
    const families = await scrape(live);
    expect(value(families.get(LiveMetric.heartbeatsLate)!.samples, { group: 'kubelets' })).toBe(2);
    expect(value(families.get(LiveMetric.heartbeatsMissed)!.samples, { group: 'kubelets' })).toBe(
      1,
    );
    const gaps = families.get(LiveMetric.heartbeatGap)!.samples;
    expect(value(gaps, { le: '15' }, `${LiveMetric.heartbeatGap}_bucket`)).toBe(1);
    expect(value(gaps, { le: '40' }, `${LiveMetric.heartbeatGap}_bucket`)).toBe(2);
    expect(value(gaps, {}, `${LiveMetric.heartbeatGap}_count`)).toBe(3);
  });

  it("judges each worker's last interval as generator-health.ts does", async () => {
    const live = new LiveMetrics();
    live.startRun({ runId: 'r', scenario: 's' });
    const calm = { eventLoopDelayMs: { p99: 1, max: 2 }, utilization: 0.2 };
    const busy = { eventLoopDelayMs: { p99: 80, max: 120 }, utilization: 0.95 };
    const lag = hist(...Array.from({ length: 100 }, () => 500));
    live.add({
      workerIndex: 0,
      loop: calm,
      snapshots: [snapshot({ intervalIndex: 0, scheduleLag: lag })],
    });
    live.add({ workerIndex: 1, loop: busy, snapshots: [] });
    const families = await scrape(live);
    const saturated = families.get(LiveMetric.saturated)!.samples;
    expect(value(saturated, { worker: '0' })).toBe(0);
    expect(value(saturated, { worker: '1' })).toBe(1);
    expect(value(families.get(LiveMetric.eventLoopDelay)!.samples, { worker: '1' })).toBe(0.08);
    expect(value(families.get(LiveMetric.eventLoopUtilization)!.samples, { worker: '1' })).toBe(
      0.95,
    );
    expect(value(families.get(LiveMetric.workerScheduleLag)!.samples, { worker: '0' })).toBeCloseTo(
      0.0005,
      5,
    );
  });

  it('exposes every name of LiveMetric', async () => {
    const live = new LiveMetrics();
    const names = live.registry.getMetricsAsArray().map((m) => m.name);
    expect(names.sort()).toEqual(Object.values(LiveMetric).sort());
    expect(await live.metrics()).toContain(`# TYPE ${LiveMetric.latency} histogram`);
  });
});
