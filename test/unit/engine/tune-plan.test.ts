import { describe, expect, it } from 'vitest';
import type { Dimension } from '../../../src/profile/tune-space.js';
import {
  baseCandidate,
  bestTrial,
  coordinateRuns,
  finalists,
  gridCandidates,
  neighbours,
  paretoFront,
  plannedRuns,
  spaceSize,
  strategyOf,
  type Trial,
} from '../../../src/engine/tune-plan.js';

const dim = (key: string, values: number[]): Dimension => ({
  key,
  setting: 'queues',
  values,
});
const DIMS = [dim('a', [1, 2, 3]), dim('b', [10, 20])];

const trial = (id: number, t: Partial<Trial>): Trial => ({
  id,
  candidate: {},
  meets: true,
  reasons: [],
  objective: 0,
  ratio429: 0,
  victimsP99: 0,
  cpuSeconds: null,
  ...t,
});

describe('tune candidates', () => {
  it('makes every combination for a grid, the first dimension slowest', () => {
    expect(spaceSize(DIMS)).toBe(6);
    expect(gridCandidates(DIMS)).toEqual([
      { a: 1, b: 10 },
      { a: 1, b: 20 },
      { a: 2, b: 10 },
      { a: 2, b: 20 },
      { a: 3, b: 10 },
      { a: 3, b: 20 },
    ]);
  });

  it('chooses a grid when the space fits in --max-runs, else a coordinate search', () => {
    expect(strategyOf(DIMS, 6)).toBe('grid');
    expect(strategyOf(DIMS, 5)).toBe('coordinate');
    expect(coordinateRuns(DIMS)).toBe(4);
    expect(plannedRuns(DIMS, 5)).toBe(4);
    expect(plannedRuns(DIMS, 3)).toBe(3);
    expect(plannedRuns(DIMS, 6)).toBe(6);
  });

  it('steps a coordinate search from the first values, one dimension at a time', () => {
    const base = baseCandidate(DIMS);
    expect(base).toEqual({ a: 1, b: 10 });
    expect(neighbours(base, DIMS[0]!)).toEqual([
      { a: 2, b: 10 },
      { a: 3, b: 10 },
    ]);
    expect(neighbours({ a: 3, b: 10 }, DIMS[1]!)).toEqual([{ a: 3, b: 20 }]);
  });
});

describe('tune winner and Pareto front', () => {
  it('prefers meeting every budget, then the objective, then fewer 429s', () => {
    const trials = [
      trial(1, { meets: false, reasons: ['x'], objective: 100 }),
      trial(2, { objective: 5, ratio429: 0.2 }),
      trial(3, { objective: 5, ratio429: 0.1 }),
      trial(4, { objective: 4 }),
    ];
    expect(bestTrial(trials)?.id).toBe(3);
    expect(finalists(trials, 2).map((t) => t.id)).toEqual([3, 2]);
    expect(finalists([trials[0]!], 2)).toEqual([]);
  });

  it('ranks a trial without an objective value last among those that meet', () => {
    expect(bestTrial([trial(1, { objective: null }), trial(2, { objective: -3 })])?.id).toBe(2);
  });

  it('keeps the trials no other beats on 429 ratio, victims p99 and CPU', () => {
    const trials = [
      trial(1, { ratio429: 0.1, victimsP99: 100 }),
      trial(2, { ratio429: 0.2, victimsP99: 50 }),
      trial(3, { ratio429: 0.2, victimsP99: 100 }), // beaten by 1 and 2
      trial(4, { ratio429: 0.1, victimsP99: 100, cpuSeconds: 3 }), // equal to 1: CPU unknown in 1
    ];
    expect(paretoFront(trials).map((t) => t.id)).toEqual([1, 2, 4]);
    const withCpu = [
      trial(1, { ratio429: 0.1, victimsP99: 100, cpuSeconds: 5 }),
      trial(2, { ratio429: 0.1, victimsP99: 100, cpuSeconds: 3 }),
    ];
    expect(paretoFront(withCpu).map((t) => t.id)).toEqual([2]);
  });
});
