import { describe as group, expect, it } from 'vitest';
import {
  describe,
  interleavedOrder,
  tQuantile975,
  welchDifference,
} from '../../../src/metrics/compare-stats.js';

group('interleavedOrder', () => {
  it.each([
    [2, 1, [0, 1]],
    [2, 2, [0, 1, 1, 0]],
    [2, 3, [0, 1, 1, 0, 0, 1]],
    [3, 2, [0, 1, 2, 2, 1, 0]],
    [1, 3, [0, 0, 0]],
  ])('%i profiles × %i repeats run as %j', (profiles, repeat, order) => {
    expect(interleavedOrder(profiles, repeat)).toEqual(order);
  });
});

group('Welch interval', () => {
  it.each([
    [1, 12.706],
    [10, 2.228],
    [2.5, (4.303 + 3.182) / 2],
    [120, 1.98],
    [1e6, 1.96],
  ])('t(0.975, %s) = %s', (df, t) => {
    expect(tQuantile975(df)).toBeCloseTo(t, 3);
  });

  it('gives mean and sample deviation', () => {
    expect(describe([2, 4, 4, 4, 5, 5, 7, 9])).toMatchObject({ n: 8, mean: 5 });
    expect(describe([2, 4, 4, 4, 5, 5, 7, 9]).sd).toBeCloseTo(2.138, 3);
    expect(describe([3])).toEqual({ n: 1, mean: 3, sd: 0, values: [3] });
  });

  it('has no interval with one run a side', () => {
    expect(welchDifference(describe([1]), describe([3]))).toEqual({ diff: 2, relative: 2 });
  });

  it('tells a clear difference from noise', () => {
    // Known case: a = 10, 12, 11 ; b = 20, 22, 21: diff 10, se = sqrt(1/3 + 1/3), df = 4.
    const clear = welchDifference(describe([10, 12, 11]), describe([20, 22, 21]));
    const half = 2.776 * Math.sqrt(2 / 3);
    expect(clear.diff).toBe(10);
    expect(clear.ci95![0]).toBeCloseTo(10 - half, 6);
    expect(clear.ci95![1]).toBeCloseTo(10 + half, 6);
    expect(clear.significant).toBe(true);

    const noise = welchDifference(describe([10, 20, 15]), describe([12, 22, 13]));
    expect(noise.significant).toBe(false);
    expect(noise.ci95![0]).toBeLessThan(0);
    expect(noise.ci95![1]).toBeGreaterThan(0);
  });

  it('treats identical repeats as exact', () => {
    expect(welchDifference(describe([0, 0]), describe([5, 5]))).toEqual({
      diff: 5,
      relative: null,
      ci95: [5, 5],
      significant: true,
    });
  });
});
