import { describe, expect, it } from 'vitest';
import { maxMinFairShares, maxMinJainIndex } from '../../../src/metrics/max-min.js';

describe('maxMinFairShares', () => {
  it.each([
    {
      name: 'equal demands split capacity equally',
      groups: [
        [10, 1],
        [10, 1],
      ],
      capacity: 8,
      shares: [4, 4],
    },
    {
      name: 'the worked example of the docs',
      groups: [
        [2, 1],
        [5, 1],
        [20, 1],
      ],
      capacity: 12,
      shares: [2, 5, 5],
    },
    {
      name: 'capacity beyond every demand gives each its demand',
      groups: [
        [3, 1],
        [4, 2],
      ],
      capacity: 100,
      shares: [3, 4],
    },
    {
      name: 'weights are flows: 3 small flows leave the rest to one big',
      groups: [
        [1, 3],
        [50, 1],
      ],
      capacity: 10,
      shares: [1, 7],
    },
    {
      name: 'a group with no flow gets nothing',
      groups: [
        [5, 0],
        [5, 2],
      ],
      capacity: 4,
      shares: [0, 2],
    },
    {
      name: 'order of groups does not matter',
      groups: [
        [20, 1],
        [2, 1],
        [5, 1],
      ],
      capacity: 12,
      shares: [5, 2, 5],
    },
  ])('$name', ({ groups, capacity, shares }) => {
    const got = maxMinFairShares(
      groups.map(([demand, weight]) => ({ demand: demand!, weight: weight! })),
      capacity,
    );
    expect(got).toEqual(shares);
  });
});

describe('maxMinJainIndex (over achieved ÷ max-min fair share)', () => {
  it('is 1 for equal demands equally served', () => {
    expect(
      maxMinJainIndex([
        { demand: 10, weight: 4, achieved: 6 },
        { demand: 10, weight: 2, achieved: 6 },
      ]),
    ).toBe(1);
  });

  it('is 1 for a fully served small flow next to a capped big one (10x its rate)', () => {
    // APF gives the small tenant all it asks (10/s) and the big one the rest (40 of its 100/s).
    expect(
      maxMinJainIndex([
        { demand: 10, weight: 1, achieved: 10 },
        { demand: 100, weight: 1, achieved: 40 },
      ]),
    ).toBeCloseTo(1, 12);
  });

  it('gives the textbook 1/n when one of n equal flows takes everything', () => {
    expect(
      maxMinJainIndex([
        { demand: 10, weight: 1, achieved: 10 },
        { demand: 10, weight: 1, achieved: 0 },
      ]),
    ).toBe(0.5);
    expect(
      maxMinJainIndex([
        { demand: 10, weight: 1, achieved: 12 },
        { demand: 10, weight: 3, achieved: 0 },
      ]),
    ).toBe(0.25);
  });

  it('falls below 1 when a small flow is starved while a big one is served', () => {
    // Fair shares of 10 delivered: 2 and 8; achieved 0 and 10 → x = 0 and 1.25.
    expect(
      maxMinJainIndex([
        { demand: 2, weight: 1, achieved: 0 },
        { demand: 50, weight: 1, achieved: 10 },
      ]),
    ).toBe(0.5);
  });

  it('is null when nothing was asked for or nothing delivered', () => {
    expect(maxMinJainIndex([{ demand: 0, weight: 3, achieved: 0 }])).toBeNull();
    expect(maxMinJainIndex([{ demand: 5, weight: 2, achieved: 0 }])).toBeNull();
    expect(maxMinJainIndex([])).toBeNull();
  });
});

describe('the worked example of docs/result-format.md', () => {
  it('is 1 when 2, 5 and 5 of 12 go to flows asking 2, 5 and 20; 0.46 when 0, 2 and 10 do', () => {
    const asked = [2, 5, 20];
    const outcome = (achieved: number[]) =>
      maxMinJainIndex(asked.map((demand, i) => ({ demand, weight: 1, achieved: achieved[i]! })));
    expect(outcome([2, 5, 5])).toBeCloseTo(1, 12);
    expect(outcome([0, 2, 10])).toBeCloseTo(0.4615, 4);
  });
});
