import { describe, expect, it } from 'vitest';
import { StallTracker, phaseAt, worstOf } from '../../../src/metrics/stalls.js';

describe('StallTracker', () => {
  it('keeps the latest tick past its period, in the phase of the tick before it', () => {
    const t = new StallTracker(20);
    t.tick(0, 'start-up');
    t.tick(20, 'start-up');
    t.tick(45, 'warm-up'); // 5 ms late
    t.tick(365, 'measured'); // 300 ms late: blocked since the warm-up tick
    t.tick(400, 'drain'); // 15 ms late
    expect(t.worst()).toEqual({ ms: 300, phase: 'warm-up' });
  });

  it('has none when no tick was late', () => {
    const t = new StallTracker(20);
    t.tick(0, 'start-up');
    t.tick(20, 'measured');
    expect(t.worst()).toBeUndefined();
  });
});

describe('phaseAt', () => {
  const spec = { warmup: 2000, duration: 10_000 };
  it.each([
    [-1, false, 'start-up'],
    [0, false, 'warm-up'],
    [1999, false, 'warm-up'],
    [2000, false, 'measured'],
    [9999, false, 'measured'],
    [10_000, false, 'drain'],
    [5000, true, 'drain'],
  ] as const)('at %i ms (stopped: %s) is %s', (t, stopped, want) => {
    expect(phaseAt(t, spec, stopped)).toBe(want);
  });

  it('has no warm-up without one', () => {
    expect(phaseAt(0, { warmup: 0, duration: 1000 }, false)).toBe('measured');
  });
});

describe('worstOf', () => {
  it("takes the longest of every thread's, the coordinator's included", () => {
    expect(
      worstOf([
        { ms: 12, phase: 'measured', worker: 0 },
        undefined,
        { ms: 130, phase: 'fixtures' },
        { ms: 90, phase: 'start-up', worker: 1 },
      ]),
    ).toEqual({ ms: 130, phase: 'fixtures' });
    expect(worstOf([undefined])).toBeUndefined();
  });
});
