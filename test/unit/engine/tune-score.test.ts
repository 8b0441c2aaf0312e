import { describe, expect, it } from 'vitest';
import { objectiveOf, ratio429Of, scoreRuns, victimsP99Of } from '../../../src/engine/tune.js';
import { result, run } from '../check/support.js';

describe('tune scoring', () => {
  const r = result({ total: 100, throttled: 10, p99: 250 });
  const requestsOf = (x: typeof r) =>
    Object.values(x.actors).reduce(
      (a, g) => ({
        total: a.total + g.requests.total,
        throttled: a.throttled + g.requests.throttled,
      }),
      { total: 0, throttled: 0 },
    );

  it('takes the 429 ratio over every group and the highest victim p99', () => {
    const all = requestsOf(r);
    expect(ratio429Of(r)).toBeCloseTo(all.throttled / all.total);
    expect(victimsP99Of(r, ['tenant'])).toBe(250);
    expect(victimsP99Of(r, ['nobody'])).toBeNull();
  });

  it('maximises the objective path, or the fewest 429s without one', () => {
    expect(objectiveOf(r, 'tenant.requests.total')).toBe(100);
    expect(objectiveOf(r, undefined)).toBe(-requestsOf(r).throttled);
    expect(objectiveOf(r, 'tenant.requests.nothing')).toBeNull();
  });

  it('meets the budgets only when every run does, with figures averaged', () => {
    const plan = {
      budgets: [{ expr: 'tenant.latencyMs.p99 < 300' }],
      objective: 'tenant.requests.total',
      victims: ['tenant'],
    };
    const ok = scoreRuns([run(r), run(result({ total: 200, p99: 100 }))], plan);
    expect(ok).toMatchObject({ meets: true, reasons: [], objective: 150, victimsP99: 175 });
    const broken = scoreRuns([run(r), run(result({ p99: 400 }))], plan);
    expect(broken.meets).toBe(false);
    expect(broken.reasons.join()).toContain('tenant.latencyMs.p99 < 300');
  });
});
