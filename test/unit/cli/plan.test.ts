import { describe, expect, it } from 'vitest';
import { planJson, planTable } from '../../../src/cli/plan.js';
import { alignRows } from '../../../src/cli/table.js';
import { planRun } from '../../../src/engine/plan.js';
import { scenarioFromYaml } from '../../support/scenario.js';

const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: plan }
spec:
  duration: 10s
  warmup: 2s
  fixtures: [{ kind: ConfigMap, count: 4, size: 100 }]
  actors:
    - { name: tenants, type: tenant, count: 3, rate: 10/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
    - { name: scheduler, type: scheduler, count: 1, nodes: 2 }
`);
const plan = planRun(scenario, 2);

describe('alignRows', () => {
  it('pads columns to their widest cell, right-aligns the ones asked, trims the end', () => {
    expect(
      alignRows(
        [
          ['a', 'count', 'x'],
          ['long', '7', ''],
        ],
        new Set([1]),
      ),
    ).toEqual(['a     count  x', 'long      7']);
  });
});

describe('planTable', () => {
  it('shows groups, workers and fixtures as aligned tables', () => {
    expect(planTable(plan)).toEqual([
      'plan: 10s, warm-up 2s, 2 worker thread(s), 0 ledger write(s)',
      'group      type       instances  requests  measured  req/s  writes  conns/instance',
      'tenants    tenant             3       300       240   30.0       0  32+0',
      'scheduler  scheduler          1         -         -      -       0  16+1',
      `requests: first attempts on the group's own schedule (means); "-": it only answers other groups`,
      '',
      'worker  instances  connections  by group',
      '     0          2           64  tenants 2',
      '     1          2           49  tenants 1, scheduler 1',
      '',
      'fixture    namespace  objects  bytes',
      'ConfigMap  apfbench         4    400',
    ]);
  });
});

describe('planJson', () => {
  it('gives each worker its counts by group instead of every instance', () => {
    const json = planJson(plan);
    expect(json.workers).toEqual([
      { instances: 2, byGroup: { tenants: 2 }, connections: 64 },
      { instances: 2, byGroup: { tenants: 1, scheduler: 1 }, connections: 49 },
    ]);
    expect(json.groups).toEqual(plan.groups);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('planTable with spec.faults', () => {
  it('lists the faults after the fixtures, with their offsets', () => {
    const faulted = planRun(
      scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: plan }
spec:
  duration: 30s
  actors:
    - { name: tenants, type: tenant, count: 1, rate: 10/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
  faults:
    - { kind: stop-etcd, at: 12s, duration: 3s }
    - { kind: pause-apiserver, at: 2s, duration: 1500ms }
`),
      1,
    );
    expect(planTable(faulted).slice(-5)).toEqual([
      '',
      'fault             at  duration',
      'stop-etcd        12s        3s',
      'pause-apiserver   2s      1.5s',
      'faults: at = from the start of the measured window; local control plane only',
    ]);
    expect(planTable(plan).some((line) => line.includes('fault'))).toBe(false);
  });
});
