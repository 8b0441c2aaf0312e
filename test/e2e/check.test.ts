import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestCluster } from '../support/cluster.js';

// One scenario, run twice: on a default control plane (the baseline) and on one whose server
// concurrency is squeezed to 1 + 1 seats (the candidate). Same scenario, tighter server.
const SCENARIO = `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: check-e2e }
spec:
  duration: 4s
  seed: 3
  fixtures: [{ kind: ConfigMap, count: 100, size: 1Ki }]
  actors:
    - name: tenant
      type: tenant
      count: 1
      rate: 200/s
      maxInFlight: 64
      mix:
        - { verb: get, resource: configmaps, weight: 50 }
        - { verb: list, resource: configmaps, weight: 20 }
        - { verb: create, resource: configmaps, weight: 15, size: 512 }
        - { verb: update, resource: configmaps, weight: 15, size: 512 }
`;

const BUDGET = `apiVersion: apfbench.dev/v1alpha1
kind: Budget
metadata: { name: check-e2e }
spec:
  budgets:
    - { name: tenant p99 under 1 s, expr: tenant.latencyMs.p99 < 1000 }
    - '*.requests.byCode.429 == 0'
    - '*.byCode.error:* == 0'
    - { name: tenant p99 regression, metric: tenant.latencyMs.p99, maxIncrease: 50%, minChange: 50 }
`;

describe('apfbench check', () => {
  let dir: string;
  let scenario: string;
  let budget: string;
  let baseline: string;
  let candidate: string;
  let baselineRun: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-check-'));
    scenario = join(dir, 'scenario.yaml');
    budget = join(dir, 'budget.yaml');
    await writeFile(scenario, SCENARIO);
    await writeFile(budget, BUDGET);

    // The baseline doubles as the `run --check` test: a healthy run holds its budgets.
    baseline = join(dir, 'baseline', 'result.json');
    baselineRun = await runCli([
      'run',
      scenario,
      '--out',
      join(dir, 'baseline'),
      '--quiet',
      '--check',
      '--budget',
      budget,
    ]);

    const tight = await startTestCluster({
      identities: { nodes: 0, tenants: 1, serviceAccounts: 0 },
      apiserverArgs: ['max-requests-inflight=1', 'max-mutating-requests-inflight=1'],
    });
    try {
      candidate = join(dir, 'tight', 'result.json');
      const run = await runCli([
        'run',
        scenario,
        '--kubeconfig',
        tight.kubeconfigPath,
        '--out',
        join(dir, 'tight'),
        '--quiet',
      ]);
      expect(run.code, run.stderr).toBe(0);
    } finally {
      await tight.stop();
    }
  });

  it('run --check exits 0 when a healthy run holds its budgets', () => {
    expect(baselineRun.code, baselineRun.stderr).toBe(0);
    expect(baselineRun.stdout).toContain('PASS  tenant p99 under 1 s');
    expect(baselineRun.stdout).toContain(`junit: ${join(dir, 'baseline', 'junit.xml')}`);
  });

  it('exits 0 when the candidate is the baseline', async () => {
    const res = await runCli([
      'check',
      '--candidate',
      baseline,
      '--baseline',
      baseline,
      '--budget',
      budget,
      '--junit',
      join(dir, 'same', 'junit.xml'),
      '--summary',
      join(dir, 'same', 'summary.md'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('PASS  tenant p99 regression');
    const junit = await readFile(join(dir, 'same', 'junit.xml'), 'utf8');
    expect(junit).toContain('tests="5" failures="0"');
  });

  it('exits 3 under a tighter server, naming the broken budgets everywhere', async () => {
    const res = await runCli([
      'check',
      '--candidate',
      candidate,
      '--baseline',
      baseline,
      '--budget',
      budget,
      '--summary',
      join(dir, 'tight', 'summary.md'),
    ]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toContain('APFBENCH_CHECK_FAILED');
    expect(res.stderr).toContain('tenant p99 under 1 s: observed');
    expect(res.stderr).toContain('tenant p99 regression: tenant.latencyMs.p99:');
    expect(res.stdout).toMatch(/FAIL {2}tenant p99 under 1 s/);

    const junit = await readFile(join(dir, 'tight', 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="apfbench check" tests="5" failures="[1-9]/);
    expect(junit).toMatch(
      /<testcase [^>]*name="tenant p99 under 1 s"[^>]*>\s*<failure type="budget" message="observed \d+ ms, limit &lt; 1000 ms"/,
    );
    expect(junit).toMatch(/name="tenant p99 regression"[^>]*>\s*<failure type="regression"/);

    const summary = await readFile(join(dir, 'tight', 'summary.md'), 'utf8');
    expect(summary).toContain('❌ failed');
    expect(summary).toMatch(/\| ❌ \| tenant p99 under 1 s/);
    expect(summary).toMatch(/\| ❌ \| tenant p99 regression/);
  });

  it('exits 2 naming a metric that does not exist, with close matches', async () => {
    const typo = join(dir, 'typo.yaml');
    await writeFile(
      typo,
      BUDGET.replace('tenant.latencyMs.p99 < 1000', 'tenant.latencyMs.p98 < 1000').replace(
        "'*.requests.byCode.429 == 0'",
        'tenants.byCode.429 == 0',
      ),
    );
    const res = await runCli(['check', '--candidate', baseline, '--budget', typo]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('APFBENCH_UNKNOWN_METRIC');
    expect(res.stderr).toContain(
      'metric "tenant.latencyMs.p98" does not exist: actors.tenant.requests.latencyMs has no field "p98"',
    );
    expect(res.stderr).toContain('did you mean tenant.latencyMs.p90 or tenant.latencyMs.p99');
    expect(res.stderr).toContain('no actor group "tenants" in the result (groups: tenant)');
  });

  it('exits 2 for an incompatible schemaVersion and for an invalid budget file', async () => {
    const future = join(dir, 'future.json');
    const result = JSON.parse(await readFile(baseline, 'utf8')) as Record<string, unknown>;
    await writeFile(future, JSON.stringify({ ...result, schemaVersion: 2 }));
    const res = await runCli(['check', '--candidate', future, '--budget', budget]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('result schemaVersion 2 is not one this apfbench reads (1)');

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, BUDGET.replace('maxIncrease: 50%', 'maxIncrease: 50'));
    const invalid = await runCli(['check', '--candidate', baseline, '--budget', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /bad\.yaml:9:\d+ spec\.budgets\[3\]\.maxIncrease: must be a percentage such as 15% \(got 50\)/,
    );
  });

  it('run --check refuses a budget on a group the scenario lacks before starting the load', async () => {
    const typo = join(dir, 'group-typo.yaml');
    await writeFile(
      typo,
      BUDGET.replace("'*.requests.byCode.429 == 0'", 'tenants.byCode.429 == 0'),
    );
    const out = join(dir, 'group-typo-out');
    const res = await runCli(['run', scenario, '--check', '--budget', typo, '--out', out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('the scenario has no actor group "tenants"');
    expect(res.stderr).toContain('did you mean tenant.byCode.429');
    // Refused before anything started: no control plane, no result.
    expect(res.stdout + res.stderr).not.toContain('control plane');
    expect(existsSync(out)).toBe(false);
  });
});
