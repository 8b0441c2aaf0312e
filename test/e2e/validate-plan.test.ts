// `apfbench validate --plan` needs no cluster: the compiled CLI, spawned as a user runs it.
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('apfbench validate --plan', () => {
  it('prints the plan as aligned tables after the summary line', async () => {
    const res = await runCli(['validate', 'scenarios/pod-churn.yaml', '--plan', '--workers', '2']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain('valid scenario pod-churn');
    expect(lines[1]).toBe('plan: 60s, warm-up 5s, 2 worker thread(s), 0 ledger write(s)');
    expect(lines).toContain(
      'churn      pod-churn          2      1800      1700   30.9       0  16+0',
    );
    expect(lines).toContain('     1         51          566  kubelets 50, churn 1');
  });

  it('prints it as JSON with --json, and only that', async () => {
    const res = await runCli([
      'validate',
      'scenarios/noisy-neighbor.yaml',
      '--plan',
      '--json',
      '--workers',
      '3',
    ]);
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout) as {
      workers: { instances: number }[];
      groups: { name: string; writes: number }[];
      fixtures: { count: number; bytes: number }[];
      writes: number;
    };
    expect(plan.workers).toHaveLength(3);
    expect(plan.workers.reduce((n, w) => n + w.instances, 0)).toBe(225);
    expect(plan.groups.map((g) => g.name)).toEqual(['kubelets', 'controllers', 'quiet', 'noisy']);
    expect(plan.writes).toBe(480);
    expect(plan.fixtures).toEqual([
      { kind: 'ConfigMap', namespace: 'apfbench', count: 3000, bytes: 24_576_000 },
    ]);
  });

  it('refuses a worker count below 1, naming the flag', async () => {
    const res = await runCli(['validate', 'scenarios/pod-churn.yaml', '--plan', '--workers', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--workers must be an integer from 1 to \d+ \(got 0\)/);
  });
});
