import { describe, expect, it } from 'vitest';
import {
  cpuSecondsWithin,
  hostContended,
  judgeHarnessCost,
  peakRssWithin,
  processCostOf,
  serverCpuRatio,
  spanOf,
  sumProcessCosts,
  type ProcessReading,
} from '../../../src/metrics/process-cost.js';

const cpu = (t: number, cpuSeconds: number): ProcessReading => ({ t, cpuSeconds });

describe('cpuSecondsWithin', () => {
  it.each([
    ['readings on the edges', [cpu(1000, 10), cpu(2000, 12), cpu(3000, 15)], 1000, 3000, 5],
    // 10 → 12 over 1 s: the half inside counts 1; 12 → 15 over 1 s: the half inside counts 1.5.
    ['edges between readings', [cpu(1000, 10), cpu(2000, 12), cpu(3000, 15)], 1500, 2500, 2.5],
    ['a span inside one pair', [cpu(0, 0), cpu(4000, 8)], 1000, 2000, 2],
    // 100 → 5 is a restart: 5 used since it.
    ['a reset counter', [cpu(0, 90), cpu(1000, 100), cpu(2000, 5)], 0, 2000, 15],
  ])('%s', (_, readings, fromMs, toMs, want) => {
    expect(cpuSecondsWithin(readings, { fromMs, toMs })).toBeCloseTo(want, 6);
  });

  it('skips readings without a CPU figure', () => {
    const readings = [cpu(0, 1), { t: 500, rssBytes: 7 }, cpu(1000, 3)];
    expect(cpuSecondsWithin(readings, { fromMs: 0, toMs: 1000 })).toBe(2);
  });

  it.each([
    ['no readings', []],
    [
      'none with CPU',
      [
        { t: 0, rssBytes: 1 },
        { t: 5000, rssBytes: 1 },
      ],
    ],
    ['none before the span', [cpu(1500, 1), cpu(5000, 2)]],
    ['none after the span', [cpu(0, 1), cpu(2500, 2)]],
  ])('is undefined with %s', (_, readings: ProcessReading[]) => {
    expect(cpuSecondsWithin(readings, { fromMs: 1000, toMs: 3000 })).toBeUndefined();
  });
});

describe('peakRssWithin', () => {
  const rss = (t: number, rssBytes: number): ProcessReading => ({ t, rssBytes });
  const readings = [rss(0, 900), rss(1000, 100), rss(2000, 300), rss(3000, 200), rss(4000, 800)];

  it('takes the readings inside the span and the one on each side of it', () => {
    expect(peakRssWithin(readings, { fromMs: 1500, toMs: 2500 })).toBe(300);
    expect(peakRssWithin(readings, { fromMs: 1000, toMs: 3000 })).toBe(300);
    expect(peakRssWithin(readings, { fromMs: 500, toMs: 3500 })).toBe(900);
  });

  it('is undefined without memory figures', () => {
    expect(peakRssWithin([cpu(0, 1)], { fromMs: 0, toMs: 1 })).toBeUndefined();
  });
});

describe('spanOf', () => {
  it('reads the measured window of a result', () => {
    expect(
      spanOf({ measuredFrom: '2026-01-01T00:00:01.000Z', measuredTo: '2026-01-01T00:00:03.500Z' }),
    ).toEqual({ fromMs: Date.UTC(2026, 0, 1, 0, 0, 1), toMs: Date.UTC(2026, 0, 1, 0, 0, 3, 500) });
    expect(spanOf({ measuredFrom: '2026-01-01T00:00:01.000Z' })).toBeUndefined();
  });
});

describe('processCostOf', () => {
  const readings: ProcessReading[] = [
    { t: 0, cpuSeconds: 10, rssBytes: 100 },
    { t: 1000, cpuSeconds: 11, rssBytes: 400 },
    { t: 2000, cpuSeconds: 13, rssBytes: 300 },
    { t: 3000, cpuSeconds: 14, rssBytes: 200 },
  ];

  it('takes the CPU over the window and the run, and the peak memory', () => {
    expect(processCostOf(readings, { fromMs: 1000, toMs: 2000 })).toEqual({
      measuredCpuSeconds: 2,
      runCpuSeconds: 4,
      peakRssBytes: 400,
    });
  });

  it('leaves the window out when it has none, and is undefined with one reading', () => {
    expect(processCostOf(readings, undefined)).toEqual({ runCpuSeconds: 4, peakRssBytes: 400 });
    expect(processCostOf(readings.slice(0, 1), undefined)).toBeUndefined();
  });
});

describe('sumProcessCosts', () => {
  it('adds the processes of a harness up', () => {
    expect(
      sumProcessCosts([
        { measuredCpuSeconds: 1.5, runCpuSeconds: 3, peakRssBytes: 100 },
        { measuredCpuSeconds: 2, runCpuSeconds: 4, peakRssBytes: 50 },
      ]),
    ).toEqual({ measuredCpuSeconds: 3.5, runCpuSeconds: 7, peakRssBytes: 150 });
  });

  it('has no measured CPU when a process lacks it', () => {
    expect(
      sumProcessCosts([
        { measuredCpuSeconds: 1.5, runCpuSeconds: 3, peakRssBytes: 100 },
        { runCpuSeconds: 4, peakRssBytes: 50 },
      ]),
    ).toEqual({ runCpuSeconds: 7, peakRssBytes: 150 });
    expect(sumProcessCosts([])).toBeUndefined();
  });
});

describe('serverCpuRatio and hostContended', () => {
  it('divides the harness CPU by the server CPU when both are known', () => {
    expect(serverCpuRatio(3, 25)).toBe(0.12);
    expect(serverCpuRatio(3, undefined)).toBeUndefined();
    expect(serverCpuRatio(undefined, 25)).toBeUndefined();
    expect(serverCpuRatio(3, 0)).toBeUndefined();
  });

  it.each([
    [{ runMs: 1000, runDelayMs: 250 }, true],
    [{ runMs: 1000, runDelayMs: 249 }, false],
    // Too little waiting to say anything.
    [{ runMs: 100, runDelayMs: 99 }, false],
    [undefined, false],
  ])('%o contended: %s', (cpu, want) => {
    expect(hostContended(cpu)).toBe(want);
  });
});

describe('judgeHarnessCost', () => {
  const base = { harnessCpuSeconds: 3, serverCpuSeconds: 25, harnessServerCpuRatio: 0.12 };

  it('says what share of the server CPU the harness used', () => {
    expect(judgeHarnessCost({ ...base, sharedHost: true })).toEqual({
      costly: false,
      contended: false,
      stalled: false,
      text: "the harness used 12 % of the API server's CPU (3 CPU-s against 25 over the measured window)",
    });
  });

  it('warns of a costly harness only on a shared host', () => {
    const costly = { ...base, harnessCpuSeconds: 10, harnessServerCpuRatio: 0.4 };
    expect(judgeHarnessCost({ ...costly, sharedHost: true })?.costly).toBe(true);
    expect(judgeHarnessCost({ ...costly, sharedHost: true })?.text).toContain(
      'more than 25 % on a host shared with the server',
    );
    expect(judgeHarnessCost({ ...costly, sharedHost: false })?.costly).toBe(false);
  });

  it('tells a contended host and a long block apart from the cost', () => {
    const j = judgeHarnessCost({
      ...base,
      sharedHost: true,
      workerCpu: { runMs: 2000, runDelayMs: 1500 },
      worstStall: { ms: 3900, phase: 'start-up', worker: 0 },
    });
    expect(j).toMatchObject({ costly: false, contended: true, stalled: true });
    expect(j?.text).toContain('the host was contended: the worker threads waited 1.5 s for a CPU');
    expect(j?.text).toContain('the event loop of worker 0 was blocked 3.9 s in start-up');
  });

  it('says the server CPU is not known where it is not, and nothing for older results', () => {
    expect(judgeHarnessCost({ harnessCpuSeconds: 3, sharedHost: false })?.text).toBe(
      "the harness used 3 CPU-s over the measured window (the API server's CPU is not known)",
    );
    expect(judgeHarnessCost({ sharedHost: true })).toBeUndefined();
  });
});
