import { describe, expect, it } from 'vitest';
import { median, studentTUpperTail, variance, welchTTest } from '../../../src/check/stats.js';

describe("Student's t upper tail", () => {
  // Reference values from the t distribution tables (one-sided).
  it.each([
    [0, 5, 0.5],
    [2.015, 5, 0.05],
    [1.812, 10, 0.05],
    [2.764, 10, 0.01],
    [1.96, 1e6, 0.025],
    [-1.812, 10, 0.95],
  ])('P(T > %s | df %s) = %s', (t, df, p) => {
    expect(studentTUpperTail(t, df)).toBeCloseTo(p, 3);
  });
});

describe("Welch's t-test", () => {
  it('matches a worked example', () => {
    // Means 13 and 11, variances 1 and 1: t = 2 / sqrt(2/3) = 2.449, df = 4, p = 0.0352.
    const r = welchTTest([12, 13, 14], [10, 11, 12], 'increase');
    expect(r.t).toBeCloseTo(2.449, 3);
    expect(r.df).toBeCloseTo(4, 6);
    expect(r.p).toBeCloseTo(0.0352, 3);
  });

  it('is one-sided', () => {
    expect(welchTTest([10, 11, 12], [12, 13, 14], 'increase').p).toBeGreaterThan(0.9);
    expect(welchTTest([10, 11, 12], [12, 13, 14], 'decrease').p).toBeLessThan(0.05);
  });

  it('treats samples without spread as exact', () => {
    expect(welchTTest([5, 5], [4, 4], 'increase').p).toBe(0);
    expect(welchTTest([4, 4], [4, 4], 'increase').p).toBe(1);
  });

  it('needs two values on each side', () => {
    expect(() => welchTTest([1], [1, 2], 'increase')).toThrow(RangeError);
  });
});

it('median and variance', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(variance([1, 2, 3, 4])).toBeCloseTo(1.6667, 4);
});
