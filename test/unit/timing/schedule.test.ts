import { describe, expect, it } from 'vitest';

import { createRng } from '../../../src/timing/random.js';
import {
  createSchedule,
  expectedCount,
  meanCount,
  spreadPhase,
  type Schedule,
  type ScheduleSpec,
} from '../../../src/timing/schedule.js';

function times(schedule: Schedule): number[] {
  const out: number[] = [];
  for (let t = schedule.next(); t !== undefined; t = schedule.next()) {
    out.push(t);
  }
  return out;
}

function timesOf(spec: ScheduleSpec, seed = 1): number[] {
  return times(createSchedule(spec, createRng(seed)));
}

function isIncreasing(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] ?? -Infinity));
}

describe('constant schedule', () => {
  it('sends exactly 4000 times at k × 5 ms for 200/s over 20 s', () => {
    const spec = { kind: 'constant', ratePerSec: 200, durationMs: 20_000 } as const;
    const sends = timesOf(spec);
    expect(sends).toHaveLength(4000);
    expect(expectedCount(spec)).toBe(4000);
    expect(sends.every((t, k) => t === k * 5)).toBe(true);
  });

  it('honours the phase offset', () => {
    const spec = { kind: 'constant', ratePerSec: 200, durationMs: 20_000, phaseMs: 2.5 } as const;
    const sends = timesOf(spec);
    expect(sends).toHaveLength(4000);
    expect(sends.slice(0, 3)).toEqual([2.5, 7.5, 12.5]);
    expect(sends.at(-1)).toBe(19_997.5);
  });

  it('counts only sends before the end', () => {
    expect(expectedCount({ kind: 'constant', ratePerSec: 3, durationMs: 1000 })).toBe(3);
    expect(expectedCount({ kind: 'constant', ratePerSec: 3, durationMs: 1001 })).toBe(4);
    expect(expectedCount({ kind: 'constant', ratePerSec: 0, durationMs: 1000 })).toBe(0);
  });

  it.each([
    ['negative rate', { kind: 'constant', ratePerSec: -1, durationMs: 10 }],
    ['phase of a whole period', { kind: 'constant', ratePerSec: 200, durationMs: 10, phaseMs: 5 }],
    ['negative phase', { kind: 'constant', ratePerSec: 200, durationMs: 10, phaseMs: -1 }],
  ] as const)('rejects a %s', (_name, spec) => {
    expect(() => createSchedule(spec, createRng(1))).toThrow(RangeError);
  });
});

describe('spreadPhase', () => {
  it('spaces instances evenly over one send', () => {
    expect([0, 1, 2, 3].map((i) => spreadPhase(i, 4))).toEqual([0, 0.25, 0.5, 0.75]);
  });
});

describe('poisson schedule', () => {
  const spec = { kind: 'poisson', ratePerSec: 200, durationMs: 20_000 } as const;

  it('is deterministic for a seed', () => {
    expect(timesOf(spec, 5)).toEqual(timesOf(spec, 5));
    expect(timesOf(spec, 5)).not.toEqual(timesOf(spec, 6));
  });

  it('has the mean count within tolerance, in increasing order within the duration', () => {
    const sends = timesOf(spec, 5);
    expect(meanCount(spec)).toBe(4000);
    expect(Math.abs(sends.length - 4000)).toBeLessThan(4 * Math.sqrt(4000));
    expect(isIncreasing(sends)).toBe(true);
    expect(sends.at(-1)).toBeLessThan(20_000);
  });
});

describe('ramping schedule', () => {
  const ramp = {
    kind: 'ramping',
    startRate: 0,
    stages: [{ durationMs: 10_000, target: 100 }],
  } as const;

  it('sends 500 times for 0→100/s over 10 s, with density following the ramp', () => {
    const sends = timesOf(ramp);
    expect(expectedCount(ramp)).toBe(500);
    expect(sends).toHaveLength(500);
    expect(isIncreasing(sends)).toBe(true);
    expect(sends.at(-1)).toBeLessThan(10_000);
    const firstHalf = sends.filter((t) => t < 5000).length;
    expect(firstHalf).toBe(125);
  });

  it('is the exact inverse of the cumulative rate', () => {
    // Λ(t) = 0.1 t² / 20000 sends for t in ms; send k at Λ(t) = k.
    const sends = timesOf(ramp);
    for (const k of [1, 2, 50, 499]) {
      expect(sends[k]).toBeCloseTo(Math.sqrt((k * 20_000) / 0.1), 6);
    }
  });

  it('matches the constant schedule on a flat stage', () => {
    const flat = timesOf({
      kind: 'ramping',
      startRate: 200,
      stages: [{ durationMs: 1000, target: 200 }],
      phase: 0.5,
    });
    const constant = timesOf({ kind: 'constant', ratePerSec: 200, durationMs: 1000, phaseMs: 2.5 });
    expect(flat).toHaveLength(constant.length);
    flat.forEach((t, k) => expect(t).toBeCloseTo(constant[k] ?? NaN, 9));
  });

  it('handles falling rates, zero-rate holds and step changes', () => {
    const spec = {
      kind: 'ramping',
      startRate: 10,
      stages: [
        { durationMs: 1000, target: 0 }, // Λ: 0 → 5
        { durationMs: 2000, target: 0 }, // Λ stays 5
        { durationMs: 0, target: 20 }, // step up
        { durationMs: 1000, target: 20 }, // Λ: 5 → 25
      ],
    } as const;
    const sends = timesOf(spec);
    expect(expectedCount(spec)).toBe(25);
    expect(sends).toHaveLength(25);
    expect(isIncreasing(sends)).toBe(true);
    expect(sends.filter((t) => t > 1000 && t < 3000)).toEqual([]);
    // Send 5 goes out when Λ reaches 5, as the rate reaches 0.
    expect(sends.slice(4, 8)).toEqual([expect.closeTo(552.786, 3), 1000, 3050, 3100]);
  });

  it('has a Poisson variant whose count is near the integral and whose density follows the ramp', () => {
    const spec = {
      ...ramp,
      kind: 'ramping-poisson',
      stages: [{ durationMs: 100_000, target: 100 }],
    } as const;
    const sends = timesOf(spec, 11);
    expect(meanCount(spec)).toBe(5000);
    expect(Math.abs(sends.length - 5000)).toBeLessThan(4 * Math.sqrt(5000));
    expect(isIncreasing(sends)).toBe(true);
    const firstHalf = sends.filter((t) => t < 50_000).length / sends.length;
    expect(firstHalf).toBeCloseTo(0.25, 1);
    expect(timesOf(spec, 11)).toEqual(sends);
  });
});

describe('meanCount before a time', () => {
  // 0 → 10/s over 2 s (10 sends), flat 10/s for 1 s (10), down to 0 over 2 s (10).
  const ramping = {
    kind: 'ramping',
    startRate: 0,
    stages: [
      { durationMs: 2000, target: 10 },
      { durationMs: 1000, target: 10 },
      { durationMs: 2000, target: 0 },
    ],
  } as const;
  const constant = { kind: 'constant', ratePerSec: 4, durationMs: 10_000 } as const;

  it.each([
    ['a ramp, before its start', ramping, 0, 0],
    ['a ramp, mid-way up (Λ = t²·slope/2)', ramping, 1000, 2.5],
    ['a ramp, at the end of the first stage', ramping, 2000, 10],
    ['a ramp, inside the flat stage', ramping, 2500, 15],
    ['a ramp, mid-way down', ramping, 4000, 27.5],
    ['a ramp, after its end', ramping, 9000, 30],
    ['a ramp, no limit', ramping, Infinity, 30],
    ['a constant rate, part of it', constant, 2500, 10],
    ['a constant rate, past its end', constant, 20_000, 40],
    ['a constant rate, a negative time', constant, -5, 0],
  ])('%s', (_name, spec, untilMs, expected) => {
    expect(meanCount(spec, untilMs)).toBeCloseTo(expected, 9);
  });
});
