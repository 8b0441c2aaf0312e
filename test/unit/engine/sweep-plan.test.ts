import { describe, expect, it } from 'vitest';
import {
  estimateSweepMs,
  levelValues,
  LEVEL_OVERHEAD,
  parseVary,
  resolveNamedPath,
  sweepLevels,
} from '../../../src/engine/sweep-plan.js';

const scenario = {
  spec: {
    actors: [
      { name: 'kubelets', count: 200 },
      { name: 'noisy', rate: 20 },
    ],
  },
};

describe('levelValues', () => {
  it.each([
    ['5 steps from 20 to 140', 20, 140, { steps: 5 }, [20, 50, 80, 110, 140]],
    ['whole ends stay whole', 1, 4, { steps: 3 }, [1, 3, 4]],
    ['fractional ends keep fractions', 0.5, 1.5, { steps: 3 }, [0.5, 1, 1.5]],
    ['one step is FROM', 20, 140, { steps: 1 }, [20]],
    ['a falling range', 100, 20, { steps: 3 }, [100, 60, 20]],
    ['factor 2 ends with TO', 10, 100, { factor: 2 }, [10, 20, 40, 80, 100]],
    ['factor that lands on TO', 5, 40, { factor: 2 }, [5, 10, 20, 40]],
    ['rounding duplicates kept once', 1, 2, { steps: 4 }, [1, 2]],
  ] as const)('%s', (_name, from, to, spacing, expected) => {
    expect(levelValues(from, to, spacing)).toEqual(expected);
  });
});

describe('resolveNamedPath', () => {
  it.each([
    ['spec.actors[noisy].rate', ['spec', 'actors', 1, 'rate']],
    ['spec.actors[0].count', ['spec', 'actors', 0, 'count']],
    ['spec.duration', ['spec', 'duration']],
  ])('%s', (text, path) => {
    expect(resolveNamedPath(text, scenario)).toEqual(path);
  });

  it.each(['spec.actors[nosy].rate', 'spec..rate', '.spec', 'spec.duration[x]', ''])(
    'refuses %j',
    (text) => {
      expect(resolveNamedPath(text, scenario)).toBeUndefined();
    },
  );
});

describe('parseVary', () => {
  it('resolves the path and keeps the unit for the --set values', () => {
    expect(parseVary('spec.actors[noisy].rate=20/s..140/s', { steps: 3 }, scenario)).toEqual({
      path: 'spec.actors[noisy].rate',
      setPath: 'spec.actors[1].rate',
      unit: '/s',
      values: [20, 80, 140],
    });
    expect(parseVary('spec.actors[noisy].rate=20..40/s', { steps: 2 }, scenario).unit).toBe('/s');
  });

  it.each([
    ['spec.actors[noisy].rate', /must be PATH=FROM\.\.TO/],
    ['spec.actors[noisy].rate=20/s', /must be PATH=FROM\.\.TO/],
    ['spec.actors[nosy].rate=1..2', /spec\.actors\[nosy\]\.rate is not a field of the scenario/],
    ['spec.actors[noisy].rate=fast..faster', /FROM and TO must be numbers/],
    ['spec.actors[noisy].rate=20/s..2/m', /different units \(\/s and \/m\)/],
  ])('refuses %s', (flag, message) => {
    expect(() => parseVary(flag, { steps: 3 }, scenario)).toThrow(message);
  });

  it('refuses a --factor range through 0', () => {
    expect(() => parseVary('spec.actors[noisy].rate=0..8', { factor: 2 }, scenario)).toThrow(
      /--factor needs FROM and TO above 0/,
    );
  });
});

describe('sweepLevels', () => {
  const rate = {
    path: 'spec.actors[noisy].rate',
    setPath: 'spec.actors[1].rate',
    unit: '/s',
    values: [10, 20],
  };
  const count = {
    path: 'spec.actors[kubelets].count',
    setPath: 'spec.actors[0].count',
    unit: '',
    values: [1, 2, 3],
  };

  it('makes one row of levels for one --vary', () => {
    expect(sweepLevels([rate])).toEqual([
      { index: 0, values: [10], label: 'rate=10/s', sets: ['spec.actors[1].rate=10/s'], row: 0 },
      { index: 1, values: [20], label: 'rate=20/s', sets: ['spec.actors[1].rate=20/s'], row: 0 },
    ]);
  });

  it('makes a grid whose first --vary varies fastest, one row per value of the others', () => {
    const levels = sweepLevels([rate, count]);
    expect(levels.map((l) => [l.label, l.row])).toEqual([
      ['rate=10/s count=1', 0],
      ['rate=20/s count=1', 0],
      ['rate=10/s count=2', 1],
      ['rate=20/s count=2', 1],
      ['rate=10/s count=3', 2],
      ['rate=20/s count=3', 2],
    ]);
    expect(levels[3]!.sets).toEqual(['spec.actors[1].rate=20/s', 'spec.actors[0].count=2']);
  });

  it('refuses a grid of more than 200 levels', () => {
    const wide = { ...rate, values: Array.from({ length: 21 }, (_, i) => i + 1) };
    expect(() =>
      sweepLevels([wide, { ...count, values: Array.from({ length: 10 }, (_, i) => i) }]),
    ).toThrow(/make 210 levels per profile, more than 200/);
  });
});

it('estimates the wall time from the levels, runs, fixtures, settle and control planes', () => {
  const input = {
    levels: 5,
    profiles: 2,
    repeat: 1,
    durationMs: 20_000,
    settleMs: 5_000,
    fixtureObjects: 0,
    local: true,
  };
  const perRun = 20_000 + LEVEL_OVERHEAD.drainMs + LEVEL_OVERHEAD.profileMs;
  expect(estimateSweepMs(input)).toBe(2 * (5 * perRun + 4 * 5_000 + LEVEL_OVERHEAD.controlPlaneMs));
  // Fixtures are created and deleted at every level.
  const withFixtures = estimateSweepMs({ ...input, fixtureObjects: 500 });
  expect(withFixtures - estimateSweepMs(input)).toBe(
    2 * 5 * ((2 * 500 * 1000) / LEVEL_OVERHEAD.fixtureObjectsPerSecond),
  );
});
