import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { budgetsSchema, loadBudgets, loadRuns, type Budget } from '../../../src/check/index.js';
import { resultSkeleton, unknownMetricProblems } from '../../../src/check/before-run.js';
import { isCountMap, isRootSection, metricPaths, parsePath } from '../../../src/budget/path.js';
import { loadScenarioFile, parseScenario, type Scenario } from '../../../src/actors/scenario.js';

const budgets = (...input: unknown[]): Budget[] => budgetsSchema.parse(input);

const parsed = parseScenario(
  `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: mixed }
spec:
  duration: 10s
  actors:
    - { name: tenant, type: tenant, count: 1, rate: 1/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
    - { name: kubelets, type: kubelet, count: 2 }
    - { name: controllers, type: controller, count: 2, objects: 4, rate: 1/s }
`,
  'mixed.yaml',
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const scenario = parsed.scenario;

describe('unknownMetricProblems, before a run', () => {
  it('accepts paths a run of the scenario writes, whatever keys its by… maps will hold', () => {
    expect(
      unknownMetricProblems(
        budgets(
          'tenant.latencyMs.p99 < 500',
          '*.byCode.429 == 0',
          '*.requests.byCode.5* == 0',
          'tenant.byKey["get configmaps 200"] > 0',
          'kubelets.heartbeats.missed == 0',
          'controllers.conflicts.rate < 5%',
          'controllers.conflicts.bySet.0.rate < 5%',
          'controllers.watch.lost == 0',
          'generator.saturated == false',
          'server.anything.at.all == 0',
          { metric: 'tenant.total', maxDecrease: '10%' },
        ),
        scenario,
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'tenants.latencyMs.p99 < 5',
      'metric "tenants.latencyMs.p99" does not exist: the scenario has no actor group "tenants" (groups: tenant, kubelets, controllers); did you mean tenant.latencyMs.p99?',
    ],
    [
      'tenant.latencyMs.p98 < 5',
      'metric "tenant.latencyMs.p98" does not exist: actors.tenant.requests.latencyMs has no field "p98" (fields: count, p50, p90, p99, p999, max, mean); did you mean tenant.latencyMs.p90 or tenant.latencyMs.p99 or tenant.latencyMs.p50?',
    ],
    [
      'tenant.latncyMs.p99 < 5',
      'metric "tenant.latncyMs.p99" does not exist: actors.tenant has no field "latncyMs" (fields: type, count, requests); did you mean tenant.latencyMs.p99 or tenant.latencyMs.p90 or tenant.latencyMs.p999?',
    ],
    [
      { metric: 'kubelets.heartbeats.mised', maxIncrease: '10%' },
      'metric "kubelets.heartbeats.mised" does not exist: actors.kubelets.heartbeats has no field "mised" (fields: renewals, failed, late, missed, skipped, gapMs, histogram, notReadyNodes); did you mean kubelets.heartbeats.missed or kubelets.heartbeats.failed or kubelets.heartbeats.late?',
    ],
    [
      'tenant.latencyMs < 5',
      'metric "tenant.latencyMs" does not exist: actors.tenant.requests.latencyMs is a mapping, not a number (name one of its fields: count, p50, p90, p99, p999, max, mean); did you mean tenant.latencyMs.max or tenant.latencyMs.p50 or tenant.latencyMs.p90?',
    ],
  ])('refuses %j', (budget, message) => {
    expect(unknownMetricProblems(budgets(budget), scenario)).toEqual([message]);
  });

  it('knows every group path a real result writes (the skeleton mirrors the coordinator)', async () => {
    for (const file of [
      'test/fixtures/results/tenant-smoke.json',
      'test/fixtures/comparisons/listers/runs/02-tight/result.json',
    ]) {
      const [{ result }] = (await loadRuns(file)) as [Awaited<ReturnType<typeof loadRuns>>[0]];
      // A result keeps its scenario as run: the resolved scenario the skeleton is built from.
      const skeleton = resultSkeleton(result.scenario as Scenario);
      const written = metricPaths(result).filter((p) => {
        const path = parsePath(p);
        return path.ok && !isRootSection(path.value.segments[0]!);
      });
      expect(written.length).toBeGreaterThan(10);
      const missing = written.filter((p) => !metricPaths(skeleton).includes(p));
      // Only keys of by… maps (codes, priority levels) depend on what the run met.
      expect(missing.filter((p) => !p.split(/[.[]/).some(isCountMap))).toEqual([]);
    }
  });

  it("accepts every bundled scenario's and example's budgets", async () => {
    const pairs: [string, string][] = [
      ['scenarios/ci-regression.yaml', 'scenarios/ci-regression.budget.yaml'],
      ['scenarios/ci-regression.yaml', 'examples/ci/budget.yaml'],
      ...readdirSync('scenarios')
        .filter(
          (f) =>
            f.endsWith('.yaml') &&
            readFileSync(`scenarios/${f}`, 'utf8').includes('kind: Scenario') &&
            readFileSync(`scenarios/${f}`, 'utf8').includes('budgets:'),
        )
        .map((f): [string, string] => [`scenarios/${f}`, `scenarios/${f}`]),
    ];
    for (const [scenarioFile, budgetFile] of pairs) {
      const s: Scenario = await loadScenarioFile(scenarioFile);
      expect(unknownMetricProblems(await loadBudgets(budgetFile), s), budgetFile).toEqual([]);
    }
  });
});
