import { describe, expect, it } from 'vitest';

import { createRng, type Rng } from '../../../src/timing/random.js';

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('createRng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(draw(createRng(42), 5)).toEqual(draw(createRng(42), 5));
    expect(draw(createRng(42), 5)).not.toEqual(draw(createRng(43), 5));
  });

  it('draws uniformly in [0, 1)', () => {
    const values = draw(createRng(1), 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
  });

  it('draws integers in [0, n) covering every value', () => {
    const rng = createRng(7);
    const seen = new Set(Array.from({ length: 1000 }, () => rng.int(6)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('draws exponentials with the requested mean, never 0', () => {
    const rng = createRng(3);
    const values = Array.from({ length: 100_000 }, () => rng.exp(5));
    expect(values.every((v) => v > 0)).toBe(true);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(5, 1);
  });

  it('forks reproducible, distinct streams without advancing the parent', () => {
    const parent = createRng(99);
    const a = draw(parent.fork('tenant-noisy/0'), 5);
    const b = draw(parent.fork('tenant-noisy/1'), 5);
    const c = draw(parent.fork(0), 5);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(draw(createRng(99).fork('tenant-noisy/0'), 5)).toEqual(a);
    expect(draw(parent, 5)).toEqual(draw(createRng(99), 5));
  });
});
