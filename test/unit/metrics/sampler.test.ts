import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/timing/clock.js';
import {
  startSampler,
  type MetricsSnapshot,
  type Scrape,
} from '../../../src/metrics/server-metrics.js';

interface Call {
  readonly at: number;
  /** Full scrapes (before, after) ask for every family. */
  readonly full: boolean;
}

/**
 * A scrape on a fake clock: periodic scrapes take `periodicMs` (waking early when aborted, then
 * rejecting or resolving as `onAbort` says) and fail when `fails` says so.
 */
function fakeScrape(
  clock: FakeClock,
  opts: {
    periodicMs?: number;
    fails?: (n: number) => boolean;
    onAbort?: 'reject' | 'resolve';
  } = {},
) {
  const calls: Call[] = [];
  const snapshot = (): MetricsSnapshot => ({ scrapedAt: clock.now(), families: new Map() });
  const scrape: Scrape = async ({ families, signal }) => {
    const full = families === undefined;
    calls.push({ at: clock.now(), full });
    if (full) return snapshot();
    await clock.sleepUntil(clock.now() + (opts.periodicMs ?? 0), signal);
    if (signal?.aborted === true && opts.onAbort !== 'resolve') throw new Error('aborted');
    if (opts.fails?.(calls.length) === true) throw new Error('HTTP 500');
    return snapshot();
  };
  return { scrape, calls };
}

describe('startSampler', () => {
  it('scrapes every intervalMs from its start, between a full before and after', async () => {
    const clock = new FakeClock(1000);
    const { scrape, calls } = fakeScrape(clock);
    const sampler = await startSampler(scrape, { intervalMs: 100, clock });
    await clock.advance(350);
    expect(sampler.samples()).toHaveLength(4);
    const result = await sampler.stop();
    expect(result.series.map((p) => p.t)).toEqual([1000, 1100, 1200, 1300, 1350]);
    expect(calls.map((c) => c.full)).toEqual([true, false, false, false, true]);
    expect(result).toMatchObject({ failedScrapes: 0, before: { scrapedAt: 1000 } });
    expect(result.after.scrapedAt).toBe(1350);
    expect(await sampler.stop()).toBe(result);
  });

  it('skips the ticks a slow scrape overran, and aborts the one in flight at stop', async () => {
    const clock = new FakeClock();
    const { scrape, calls } = fakeScrape(clock, { periodicMs: 250 });
    const sampler = await startSampler(scrape, { intervalMs: 100, clock });
    await clock.advanceTo(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 100, 400, 700, 1000]);
    const result = await sampler.stop();
    expect(result.series.map((p) => p.t)).toEqual([0, 350, 650, 950, 1000]);
    expect(result.failedScrapes).toBe(0);
  });

  it('counts failed periodic scrapes and leaves them out of the series', async () => {
    const clock = new FakeClock();
    const { scrape } = fakeScrape(clock, { fails: (n) => n === 3 });
    const sampler = await startSampler(scrape, { intervalMs: 100, clock });
    await clock.advanceTo(300);
    const result = await sampler.stop();
    expect(result.series.map((p) => p.t)).toEqual([0, 100, 300, 300]);
    expect(result.failedScrapes).toBe(1);
  });

  it.each(['reject', 'resolve'] as const)(
    'starts no scrape once its signal aborts; one in flight that then %ss leaves no point',
    async (onAbort) => {
      const clock = new FakeClock();
      const { scrape, calls } = fakeScrape(clock, { periodicMs: 50, onAbort });
      const controller = new AbortController();
      const sampler = await startSampler(scrape, {
        intervalMs: 100,
        clock,
        signal: controller.signal,
      });
      await clock.advanceTo(220);
      expect(calls.map((c) => c.at)).toEqual([0, 100, 200]);
      controller.abort();
      await clock.advanceTo(10_000);
      expect(calls).toHaveLength(3);
      expect(sampler.samples().map((p) => p.t)).toEqual([0, 150]);
      const result = await sampler.stop();
      expect(result.series.map((p) => p.t)).toEqual([0, 150, 10_000]);
      expect(result.failedScrapes).toBe(0);
    },
  );

  it('refuses an interval under 100 ms before scraping', async () => {
    const clock = new FakeClock();
    const { scrape, calls } = fakeScrape(clock);
    await expect(startSampler(scrape, { intervalMs: 50, clock })).rejects.toMatchObject({
      code: 'APFBENCH_METRICS_INTERVAL',
    });
    expect(calls).toHaveLength(0);
  });
});
