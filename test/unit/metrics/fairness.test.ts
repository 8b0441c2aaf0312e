import { describe, expect, it } from 'vitest';
import {
  fairnessSection,
  seatLimits,
  levelJain,
  jainIndex,
  mainPriorityLevel,
  seatShares,
  weightedJainIndex,
  type GroupFigures,
} from '../../../src/metrics/fairness.js';
import type { PriorityLevelSummary } from '../../../src/metrics/server-metrics.js';

describe("Jain's index", () => {
  it.each([
    [[1, 1, 1, 1], 1],
    [[1, 0, 0, 0], 0.25],
    [[1, 0.5], 0.9],
    [[0.2, 0.2], 1],
    [[3, 1], 0.8],
  ])('J(%j) = %s', (xs, want) => {
    expect(jainIndex(xs)).toBeCloseTo(want, 10);
  });

  it('is undefined with no flow or nothing served', () => {
    expect(jainIndex([])).toBeNull();
    expect(jainIndex([0, 0])).toBeNull();
  });

  it('weights a group of equal flows like that many flows', () => {
    expect(
      weightedJainIndex([
        { x: 1, weight: 3 },
        { x: 0.5, weight: 1 },
      ]),
    ).toBeCloseTo(jainIndex([1, 1, 1, 0.5])!, 12);
  });
});

const latency = (p50: number, p99: number) => ({
  count: 1,
  p50,
  p90: p99,
  p99,
  p999: p99,
  max: p99,
  mean: p50,
});

function group(
  count: number,
  sent: number,
  total: number,
  errors: number,
  byPriorityLevel: Record<string, number>,
  lat = latency(1, 2),
): GroupFigures {
  return { count, requests: { total, sent, dropped: 0, errors, byPriorityLevel, latencyMs: lat } };
}

describe('fairnessSection', () => {
  it('per level: normalised throughput, shares and the weighted index; ratios for named pairs', () => {
    const section = fairnessSection(
      {
        // 4 quiet users served fully, 1 noisy user served a quarter of what it asked.
        quiet: group(4, 100, 100, 0, { 'global-default': 100 }, latency(40, 400)),
        noisy: group(
          1,
          400,
          400,
          300,
          { 'global-default': 380, 'workload-low': 20 },
          latency(10, 100),
        ),
        kubelet: group(2, 50, 50, 0, { system: 50 }),
        idle: group(1, 0, 0, 0, {}),
      },
      {
        pairs: [
          { victim: 'quiet', noisy: 'noisy' },
          { victim: 'quiet', noisy: 'absent' },
        ],
      },
    );
    expect(Object.keys(section.priorityLevels)).toEqual(['global-default', 'system']);
    const gd = section.priorityLevels['global-default']!;
    expect(gd.flows).toBe(5);
    expect(gd.groups.quiet).toEqual({
      instances: 4,
      demanded: 100,
      achieved: 100,
      normalisedThroughput: 1,
      share: 0.5,
      // Of the 200 the level delivered, max-min gives each quiet flow the 25 it asked for.
      fairShare: 100,
    });
    expect(gd.groups.noisy!.normalisedThroughput).toBe(0.25);
    expect(gd.groups.noisy!.fairShare).toBe(100);
    // achieved ÷ demanded: (4·1 + 0.25)² / (5 · (4·1 + 0.0625)), below 1 for a max-min fair
    // outcome; over achieved ÷ fair share every flow got exactly its share: 1.
    expect(gd.jainIndex).toBeCloseTo((4.25 * 4.25) / (5 * 4.0625), 4);
    expect(gd.maxMinJainIndex).toBe(1);
    expect(section.priorityLevels.system!.jainIndex).toBe(1);
    expect(section.latencyRatios).toEqual([{ victim: 'quiet', noisy: 'noisy', p50: 4, p99: 4 }]);
  });

  it('falls below 1 when the level starves small flows to serve a big one', () => {
    const section = fairnessSection({
      // 2 small users asked for 10 each and got 2; 1 big user asked for 400 and got 100.
      small: group(2, 20, 4, 0, { 'global-default': 4 }),
      big: group(1, 400, 100, 0, { 'global-default': 100 }),
    });
    const gd = section.priorityLevels['global-default']!;
    // 104 delivered: fair shares 10, 10 and 84; x = 0.2, 0.2, 1.19.
    expect(gd.groups.small!.fairShare).toBe(20);
    expect(gd.groups.big!.fairShare).toBe(84);
    const xs = [0.2, 0.2, 100 / 84];
    const sum = xs.reduce((a, b) => a + b, 0);
    expect(gd.maxMinJainIndex).toBeCloseTo(
      (sum * sum) / (3 * xs.reduce((a, b) => a + b * b, 0)),
      3,
    );
    expect(levelJain(gd)).toBe(gd.maxMinJainIndex);
  });

  it('picks the level that served most of a group', () => {
    expect(mainPriorityLevel({ a: 1, b: 3 })).toBe('b');
    expect(mainPriorityLevel({})).toBeUndefined();
  });
});

describe('seatShares', () => {
  const summary = (nominalLimitSeats: number) =>
    ({ nominalLimitSeats }) as unknown as PriorityLevelSummary;
  it('averages executing seats over samples and normalises both, leaving exempt out', () => {
    const point = (a: number, b: number) => ({
      priorityLevels: {
        a: { executingSeats: a },
        b: { executingSeats: b },
        exempt: { executingSeats: 9 },
      },
    });
    const shares = seatShares([point(1, 3), point(3, 1), point(0, 4)], {
      a: summary(10),
      b: summary(30),
      exempt: summary(0),
    });
    expect(shares).toEqual({ seat: { a: 0.3333, b: 0.6667 }, nominal: { a: 0.25, b: 0.75 } });
  });
});

describe('seatLimits', () => {
  const point = (t: number, current: number | undefined) => ({
    t,
    priorityLevels: { 'global-default': { currentLimitSeats: current } },
  });
  const series = [point(1000, 3), point(3000, 16), point(5000, 9), point(9000, 3)];
  const flowControl = { 'global-default': { nominalLimitSeats: 3 } };

  it('gives the nominal seats and the range of current seats in the window', () => {
    expect(seatLimits('global-default', series, flowControl, { fromMs: 2000, toMs: 6000 })).toEqual(
      { nominal: 3, current: { min: 9, max: 16 } },
    );
  });

  it('takes every sample without a window, or when none fell in it', () => {
    const all = { nominal: 3, current: { min: 3, max: 16 } };
    expect(seatLimits('global-default', series, flowControl)).toEqual(all);
    expect(seatLimits('global-default', series, flowControl, { fromMs: 6000, toMs: 8000 })).toEqual(
      all,
    );
  });

  it('has nothing for a level the server did not report', () => {
    expect(seatLimits('node-high', series, flowControl)).toEqual({
      nominal: undefined,
      current: undefined,
    });
    expect(seatLimits('global-default', [point(1000, undefined)], {})).toEqual({
      nominal: undefined,
      current: undefined,
    });
  });
});
