import { describe, expect, it } from 'vitest';
import { parseBudgetFile } from '../../../src/check/index.js';
import { parseScenario } from '../../../src/actors/scenario.js';
import { formatProblem } from '../../../src/validation/problems.js';

const file = (budgets: string) => `apiVersion: apfbench.dev/v1alpha1
kind: Budget
metadata: { name: b }
spec:
  budgets:
${budgets}`;

describe('Budget files', () => {
  it('keep budgets as written, strings as { expr }', () => {
    const parsed = parseBudgetFile(
      file(`    - tenant.latencyMs.p99 < 500
    - { name: p99, metric: tenant.latencyMs.p99, maxIncrease: 15%, alpha: 0.01 }
`),
      'b.yaml',
    );
    expect(parsed).toEqual({
      ok: true,
      budgets: [
        { expr: 'tenant.latencyMs.p99 < 500' },
        { name: 'p99', metric: 'tenant.latencyMs.p99', maxIncrease: '15%', alpha: 0.01 },
      ],
    });
  });

  it('report every problem with its location', () => {
    const parsed = parseBudgetFile(
      file(`    - tenant.latencyMs.p99 <
    - { metric: tenant.latencyMs.p99, maxIncrease: 15 }
    - { metric: tenant.latencyMs.p99 }
    - { expr: tenant.total > 1, metric: tenant.total }
    - { expr: tenant.total > 1, maxDecrease: 5%, colour: red }
    - 42
`),
      'b.yaml',
    );
    expect(parsed.ok ? [] : parsed.problems.map(formatProblem)).toEqual([
      'b.yaml:6:7 spec.budgets[0].expr: expected a number, a percentage or true/false after "<", found nothing',
      'b.yaml:7:52 spec.budgets[1].maxIncrease: must be a percentage such as 15% (got 15)',
      'b.yaml:8:7 spec.budgets[2]: needs maxIncrease or maxDecrease (or both) with metric',
      'b.yaml:9:41 spec.budgets[3].metric: cannot be combined with expr; give one of them (got tenant.total)',
      'b.yaml:10:46 spec.budgets[4].maxDecrease: only allowed with metric (got 5%)',
      'b.yaml:10:50 spec.budgets[4].colour: unknown field',
      'b.yaml:11:7 spec.budgets[5]: must be a mapping (got 42)',
    ]);
  });
});

it('scenarios carry budgets in spec.budgets', () => {
  const parsed = parseScenario(
    `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: s }
spec:
  duration: 5s
  actors:
    - { name: tenant, type: tenant, count: 1, rate: 5/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
  budgets:
    - '*.requests.byCode.429 == 0'
`,
    's.yaml',
  );
  expect(parsed.ok && parsed.scenario.spec.budgets).toEqual([
    { expr: '*.requests.byCode.429 == 0' },
  ]);
});
