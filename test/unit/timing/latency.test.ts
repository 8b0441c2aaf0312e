import { describe, expect, it } from 'vitest';
import { describeLatency, sampleLatency } from '../../../src/timing/latency.js';
import { createRng } from '../../../src/timing/random.js';

describe('sampleLatency', () => {
  it('gives the constant every time', () => {
    const rng = createRng(1);
    expect(
      [1, 2, 3].map(() => sampleLatency({ distribution: 'constant', value: 2000 }, rng)),
    ).toEqual([2000, 2000, 2000]);
  });

  it('keeps uniform draws within [min, max) and spreads them over it', () => {
    const rng = createRng(7);
    const draws = Array.from({ length: 10_000 }, () =>
      sampleLatency({ distribution: 'uniform', min: 100, max: 300 }, rng),
    );
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...draws)).toBeLessThan(300);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(195);
    expect(mean).toBeLessThan(205);
  });

  it('draws exponential latencies with the mean asked for', () => {
    const rng = createRng(3);
    const draws = Array.from({ length: 20_000 }, () =>
      sampleLatency({ distribution: 'exponential', mean: 50 }, rng),
    );
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(48);
    expect(mean).toBeLessThan(52);
    expect(draws.every((d) => d > 0)).toBe(true);
  });

  it('is reproducible from the seed', () => {
    const d = { distribution: 'exponential', mean: 10 } as const;
    const a = createRng(5);
    const b = createRng(5);
    expect(sampleLatency(d, a)).toBe(sampleLatency(d, b));
  });
});

describe('describeLatency', () => {
  it.each([
    [{ distribution: 'constant', value: 2000 } as const, '2s'],
    [{ distribution: 'uniform', min: 500, max: 1500 } as const, 'uniform 500ms–1s500ms'],
    [{ distribution: 'exponential', mean: 300 } as const, 'exponential, mean 300ms'],
  ])('%o reads %s', (d, text) => {
    expect(describeLatency(d)).toBe(text);
  });
});
