import { describe, expect, it } from 'vitest';
import {
  cpuSecondsWithin,
  peakRssWithin,
  spanOf,
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
