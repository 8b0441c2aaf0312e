import { describe, expect, it } from 'vitest';
import {
  findKnees,
  levelVerdict,
  stopAsBudget,
  stopProblem,
} from '../../../src/check/sweep-verdict.js';
import { result, run } from './support.js';

describe('stopAsBudget', () => {
  it.each([
    ['kubelets.heartbeats.late > 0', 'kubelets.heartbeats.late <= 0', 'median'],
    ['quiet.latencyMs.p99 >= 200', 'quiet.latencyMs.p99 < 200', 'median'],
    ['tenant.throttled == 0', 'tenant.throttled != 0', 'median'],
    ['*.latencyMs.p99 < 5%', '*.latencyMs.p99 >= 0.05', 'median'],
    ['generator.saturated == true', 'generator.saturated != true', 'each'],
  ])('%s is the budget %s', (stop, expr, over) => {
    expect(stopAsBudget(stop)).toEqual({ name: `stop: ${stop}`, expr, over });
  });

  it('says what is wrong with a stop condition that does not parse', () => {
    expect(stopProblem('kubelets.heartbeats.late')).toMatch(/expected an operator/);
    expect(stopProblem('kubelets.heartbeats.late > 0')).toBeUndefined();
  });
});

describe('levelVerdict', () => {
  // The support result has kubelets with 2 late heartbeats; the tenant's p99 is set per case.
  it('holds when no stop condition holds and every budget keeps', () => {
    const verdict = levelVerdict(
      [run(result({ p99: 50 }))],
      ['tenant.latencyMs.p99 > 100'],
      [{ expr: 'tenant.latencyMs.p99 < 500' }],
    );
    expect(verdict).toEqual({ broken: false, stopped: false, reasons: [] });
  });

  it('stops when a stop condition holds, saying what was observed', () => {
    const verdict = levelVerdict([run(result())], ['kubelets.heartbeats.late > 0'], []);
    expect(verdict).toEqual({
      broken: true,
      stopped: true,
      reasons: ['stop: kubelets.heartbeats.late > 0 (observed 2)'],
    });
  });

  it('breaks without stopping when only a budget of the scenario breaks', () => {
    const verdict = levelVerdict(
      [run(result({ p99: 900 }))],
      [],
      [
        { expr: 'tenant.latencyMs.p99 < 500' },
        { metric: 'tenant.latencyMs.p99', maxIncrease: '10%' },
      ],
    );
    expect(verdict.broken).toBe(true);
    expect(verdict.stopped).toBe(false);
    expect(verdict.reasons).toEqual([
      'budget tenant.latencyMs.p99 < 500: observed 900 ms, limit < 500 ms',
    ]);
  });

  it('judges a stop condition on the median of the repeats', () => {
    const stop = ['tenant.latencyMs.p99 > 100'];
    const runs = (...p99s: number[]) => p99s.map((p99, i) => run(result({ p99 }), `r${i}`));
    expect(levelVerdict(runs(50, 60, 900), stop, []).stopped).toBe(false);
    expect(levelVerdict(runs(50, 600, 900), stop, []).stopped).toBe(true);
  });

  it('stops at a run that did not complete, with or without conditions', () => {
    const failed = run(result({}, { status: 'degraded', reason: 'no answers' }));
    expect(levelVerdict([failed], [], [])).toEqual({
      broken: true,
      stopped: true,
      reasons: ['result.json: degraded'],
    });
    const verdict = levelVerdict([failed], ['tenant.latencyMs.p99 > 1e9'], []);
    expect(verdict.stopped).toBe(true);
    expect(verdict.reasons).toEqual(['run not completed: result.json: degraded (no answers)']);
  });

  it('refuses a condition on a metric the results do not have, as check does', () => {
    expect(() => levelVerdict([run(result())], ['tenant.nothing > 0'], [])).toThrow(
      expect.objectContaining({ code: 'APFBENCH_UNKNOWN_METRIC' }),
    );
  });
});

describe('findKnees', () => {
  const v = (row: number, level: number, broken: boolean) => ({ row, level, broken });

  it.each([
    ['no level broke', [v(0, 0, false), v(0, 1, false)], [{ row: 0, knee: null, holdsUpTo: 1 }]],
    [
      'the third level broke',
      [v(0, 0, false), v(0, 1, false), v(0, 2, true)],
      [{ row: 0, knee: 2, holdsUpTo: 1 }],
    ],
    ['the first level broke', [v(0, 0, true)], [{ row: 0, knee: 0, holdsUpTo: null }]],
    [
      'a level broke, a later one held (noise): the knee is the first',
      [v(0, 0, false), v(0, 1, true), v(0, 2, false)],
      [{ row: 0, knee: 1, holdsUpTo: 0 }],
    ],
    [
      'each row of a grid, in row order, whatever the verdicts order',
      [v(1, 3, true), v(0, 0, false), v(1, 2, false), v(0, 1, true)],
      [
        { row: 0, knee: 1, holdsUpTo: 0 },
        { row: 1, knee: 3, holdsUpTo: 2 },
      ],
    ],
    ['nothing run', [], []],
  ])('%s', (_name, verdicts, knees) => {
    expect(findKnees(verdicts)).toEqual(knees);
  });
});
