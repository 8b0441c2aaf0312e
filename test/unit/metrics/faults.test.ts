import { describe, expect, it } from 'vitest';
import { faultImpact } from '../../../src/metrics/faults.js';
import type { TimelineRow } from '../../../src/metrics/timeline-aggregator.js';

/** A row of `group` at second `t` with its relists, reopened watches and 429s. */
function row(t: number, group: string, relists = 0, restarts = 0, throttled = 0): TimelineRow {
  const counters: Record<string, number> = {};
  if (relists > 0) counters['watch.relists'] = relists;
  if (restarts > 0) counters['watch.restarts'] = restarts;
  return {
    t,
    group,
    sent: 10,
    completed: 10,
    dropped: 0,
    throttled,
    errorsByCode: throttled > 0 ? { '429': throttled } : {},
    p99Ms: 5,
    rps: 10,
    counters,
  };
}

describe('faultImpact', () => {
  it('times the storm from the fault to the last interval above the level before it', () => {
    // Seconds 0-9: at most 1 reopened watch a second. Restart at 10 s, ready at 12 s; the
    // clients back off, then reopen and relist at 13-15 s; quiet again from 16 s.
    const rows = [
      ...Array.from({ length: 10 }, (_, t) => row(t, 'ctrl', 0, t % 3 === 0 ? 1 : 0)),
      row(10, 'ctrl'),
      row(11, 'ctrl'),
      row(12, 'ctrl'),
      row(13, 'ctrl', 4, 10, 0),
      row(13, 'tenant', 0, 0, 3),
      row(14, 'ctrl', 2, 5, 2),
      row(15, 'ctrl', 0, 2),
      ...Array.from({ length: 5 }, (_, k) => row(16 + k, 'ctrl', 0, k === 2 ? 1 : 0)),
      row(21, 'tenant', 0, 0, 7),
    ];
    const impact = faultImpact(rows, { from: 10, to: 12 });
    expect(impact.baseline).toBe(1);
    expect(impact.backAt).toBe(16);
    expect(impact.relists).toBe(6);
    expect(impact.rewatches).toBe(17);
    expect(impact.peakPerSecond).toBe(14);
    // The 429 at 21 s is after the storm.
    expect(impact.throttledByGroup).toEqual({ ctrl: 2, tenant: 3 });
  });

  it('ends with the fault when nothing rose above the level', () => {
    const rows = Array.from({ length: 20 }, (_, t) => row(t, 'ctrl', 0, 1));
    const impact = faultImpact(rows, { from: 5, to: 7.5 });
    expect(impact.backAt).toBe(7.5);
    expect(impact.peakPerSecond).toBe(1);
  });

  it('has no end when the last interval is still above the level', () => {
    const rows = [row(0, 'ctrl'), row(1, 'ctrl'), row(2, 'ctrl', 3), row(3, 'ctrl', 1)];
    const impact = faultImpact(rows, { from: 2, to: 2.5 });
    expect(impact.backAt).toBeUndefined();
    expect(impact.relists).toBe(4);
  });

  it('stops at the next fault', () => {
    const rows = Array.from({ length: 10 }, (_, t) => row(t, 'ctrl', t >= 2 ? 1 : 0));
    const impact = faultImpact(rows, { from: 2, to: 3 }, 6);
    expect(impact.backAt).toBeUndefined();
    expect(impact.relists).toBe(4);
  });
});
