import { describe, expect, it } from 'vitest';
import { budgetsSchema, evaluateBudgets, type Budget } from '../../../src/check/index.js';
import { result, run } from './support.js';

const budgets = (...input: unknown[]): Budget[] => budgetsSchema.parse(input);
const outcome = (report: ReturnType<typeof evaluateBudgets>, name: string) =>
  report.results.find((r) => r.name === name);

describe('absolute budgets', () => {
  it('pass and fail with observed against the limit', () => {
    const report = evaluateBudgets(
      budgets(
        'tenant.latencyMs.p99 < 500',
        'tenant.latencyMs.p99 < 10',
        'kubelets.heartbeats.missed == 0',
      ),
      [run(result())],
    );
    expect(report.passed).toBe(false);
    expect(report.results.map((r) => [r.name, r.outcome, r.message])).toEqual([
      ['candidate run completed', 'pass', 'the run completed'],
      ['tenant.latencyMs.p99 < 500', 'pass', 'observed 45.38 ms, limit < 500 ms'],
      ['tenant.latencyMs.p99 < 10', 'fail', 'observed 45.38 ms, limit < 10 ms'],
      ['kubelets.heartbeats.missed == 0', 'pass', 'observed 0, limit == 0'],
    ]);
  });

  it('check every group a wildcard matches', () => {
    const report = evaluateBudgets(
      budgets({ name: 'no 429s', expr: '*.requests.byCode.429 == 0' }),
      [run(result())],
    );
    expect(outcome(report, 'no 429s')).toMatchObject({
      outcome: 'fail',
      message: '1 of 2 values break the limit == 0: kubelets.byCode.429 = 3',
      details: [
        'ok: tenant.byCode.429 = 0 (limit == 0)',
        'BROKEN: kubelets.byCode.429 = 3 (limit == 0)',
      ],
    });
  });

  it('hold on every candidate run, or on their median with over: median', () => {
    const runs = [
      run(result({ p99: 100 }), 'a'),
      run(result({ p99: 900 }), 'b'),
      run(result({ p99: 120 }), 'c'),
    ];
    const each = evaluateBudgets(
      budgets({ name: 'p99', expr: 'tenant.latencyMs.p99 < 500' }),
      runs,
    );
    expect(outcome(each, 'p99')?.message).toBe(
      '1 of 3 values break the limit < 500 ms: tenant.latencyMs.p99 (run 2: b) = 900 ms',
    );
    const med = evaluateBudgets(
      budgets({ name: 'p99', expr: 'tenant.latencyMs.p99 < 500', over: 'median' }),
      runs,
    );
    expect(outcome(med, 'p99')).toMatchObject({
      outcome: 'pass',
      message: 'observed 120 ms, limit < 500 ms',
    });
  });

  it('fail a candidate run that did not complete', () => {
    const report = evaluateBudgets(budgets('tenant.errors == 0'), [
      run(result({}, { status: 'aborted', reason: 'SIGINT' })),
    ]);
    expect(outcome(report, 'candidate run completed')).toMatchObject({
      outcome: 'fail',
      message: 'result.json: aborted (SIGINT)',
    });
  });

  it('warn, without failing, about a run that did not offer its intended load', () => {
    const healthy = result();
    const capped = result(
      { dropped: 5 },
      {
        generator: {
          ...healthy.generator,
          capped: true,
          cappedReasons: ['tenant: 5 of 105 due sends dropped at maxInFlight 64 (…)'],
        },
      },
    );
    const report = evaluateBudgets(budgets('generator.capped == false'), [run(capped)]);
    expect(report.warnings).toEqual([
      'the intended load was not offered in result.json (tenant: 5 of 105 due sends dropped at maxInFlight 64 (…)): its figures are for the smaller load that was offered',
    ]);
    expect(outcome(report, 'generator.capped == false')).toMatchObject({ outcome: 'fail' });
    expect(evaluateBudgets(budgets('tenant.errors == 0'), [run(healthy)]).warnings).toEqual([]);
  });

  it('warn about a busy host, and not about a stalled server, neither as saturation', () => {
    const healthy = result();
    const late = ['worker 0: schedule lag p99 40 ms > 10 ms: sends went out late'];
    const evidence = {
      intervals: 6,
      wallMs: 6000,
      cpuMs: 80,
      runDelayMs: 1300,
      serverStalledMs: 0,
    };
    const caused = (lagCause: 'host' | 'server') =>
      result(
        {},
        {
          generator: {
            ...healthy.generator,
            saturated: false,
            reasons: late,
            lagCause,
            lagEvidence: evidence,
          },
        },
      );
    expect(evaluateBudgets(budgets('tenant.errors == 0'), [run(caused('host'))]).warnings).toEqual([
      'the host was busy in result.json (host busy: the generator waited 1.3 s for CPU that other processes had (it ran 80 ms) in the 6 s it lagged): its latencies include that wait',
    ]);
    expect(
      evaluateBudgets(budgets('tenant.errors == 0'), [run(caused('server'))]).warnings,
    ).toEqual([]);
  });

  it('refuse metrics that do not exist, all at once (exit 2)', () => {
    const evaluate = () =>
      evaluateBudgets(budgets('tenants.latencyMs.p99 < 5', 'tenant.latencyMs.p98 < 5'), [
        run(result()),
      ]);
    expect(evaluate).toThrow(/2 budgets name something the results do not have/);
    expect(evaluate).toThrow(/no actor group "tenants"/);
    let thrown: unknown;
    try {
      evaluate();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ kind: 'invalid-input', code: 'APFBENCH_UNKNOWN_METRIC' });
  });
});

describe('relative budgets', () => {
  const p99Up15 = budgets({ name: 'p99', metric: 'tenant.latencyMs.p99', maxIncrease: '15%' });

  it('are skipped without a baseline', () => {
    const report = evaluateBudgets(p99Up15, [run(result())]);
    expect(outcome(report, 'p99')?.outcome).toBe('skipped');
    expect(report.passed).toBe(true);
  });

  it.each([
    [100, 114, 'pass'],
    [100, 116, 'fail'],
    [100, 50, 'pass'],
    [0, 1, 'fail'],
  ])('baseline %s → candidate %s: %s', (before, after, expected) => {
    const report = evaluateBudgets(
      p99Up15,
      [run(result({ p99: after }))],
      [run(result({ p99: before }))],
    );
    expect(outcome(report, 'p99')?.outcome).toBe(expected);
  });

  it('ignore changes below minChange, and limit decreases with maxDecrease', () => {
    const floor = budgets({
      name: 'p99',
      metric: 'tenant.latencyMs.p99',
      maxIncrease: '15%',
      minChange: 5,
    });
    expect(
      outcome(evaluateBudgets(floor, [run(result({ p99: 4 }))], [run(result({ p99: 2 }))]), 'p99')
        ?.outcome,
    ).toBe('pass');
    const down = budgets({ name: 'total', metric: 'tenant.total', maxDecrease: '10%' });
    const report = evaluateBudgets(
      down,
      [run(result({ total: 850 }))],
      [run(result({ total: 1000 }))],
    );
    expect(outcome(report, 'total')).toMatchObject({
      outcome: 'fail',
      message:
        'tenant.total: 1000 → 850 (-15%), limit -10%; 1 vs 1 runs: no significance test (needs 2+ runs on each side)',
    });
  });

  it('with repeats on both sides, count only significant regressions', () => {
    const runs = (...p99s: number[]) => p99s.map((p99, i) => run(result({ p99 }), `r${i}`));
    const noisy = evaluateBudgets(p99Up15, runs(100, 300, 110), runs(100, 105, 95));
    expect(outcome(noisy, 'p99')?.outcome).toBe('pass');
    expect(outcome(noisy, 'p99')?.details[0]).toMatch(/not significant, not counted$/);
    const real = evaluateBudgets(p99Up15, runs(130, 135, 128), runs(100, 105, 95));
    expect(outcome(real, 'p99')?.outcome).toBe('fail');
    expect(outcome(real, 'p99')?.message).toMatch(
      /^tenant\.latencyMs\.p99: mean 100 ms → 131 ms \(\+31%\), limit \+15%; Welch's t-test p = [\d.e-]+ \(3 vs 3 runs\) < 0\.05: significant$/,
    );
  });

  it('compare count maps with missing keys as 0', () => {
    const b = budgets({ name: '5xx', metric: 'tenant.byCode.5*', maxIncrease: '0%' });
    const after = result({ byCode: { '200': 900, '503': 4 } });
    expect(outcome(evaluateBudgets(b, [run(after)], [run(result())]), '5xx')).toMatchObject({
      outcome: 'fail',
      message:
        'tenant.byCode.503: 0 → 4 (+∞%), limit +0%; 1 vs 1 runs: no significance test (needs 2+ runs on each side)',
    });
  });
});
