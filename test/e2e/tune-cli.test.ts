import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TuneDoc } from '../../src/engine/tune.js';
import { repoRoot, runCli } from '../support/cli.js';
import { useTestCluster } from '../support/cluster.js';
import { flowControlState } from '../support/flowcontrol.js';

/** Runs of 3 s: one tenant LISTing ConfigMaps. */
const SHORT = `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: short }
spec:
  duration: 3s
  warmup: 0s
  workers: 1
  actors:
    - name: noisy
      type: tenant
      identity: noisy-{i}
      count: 1
      rate: 5/s
      mix: [{ verb: list, resource: configmaps, weight: 1 }]
`;

const BUDGET = `apiVersion: apfbench.dev/v1alpha1
kind: Budget
metadata: { name: lenient }
spec:
  budgets:
    - noisy.latencyMs.p99 < 10000
`;

/** Two candidates: the noisy tenants' share of isolate-tenants at 5 or 10. */
const space = (base: string) => `apiVersion: apfbench.dev/v1alpha1
kind: TuneSpace
metadata: { name: two }
spec:
  base: ${base}
  priorityLevels:
    - name: noisy-tenants
      nominalConcurrencyShares: [5, 10]
`;

describe('apfbench tune', () => {
  let dir: string;
  let scenario: string;
  let budget: string;
  let spaceFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-tune-'));
    scenario = join(dir, 'short.yaml');
    budget = join(dir, 'budget.yaml');
    spaceFile = join(dir, 'space.yaml');
    await writeFile(scenario, SHORT);
    await writeFile(budget, BUDGET);
    await writeFile(spaceFile, space(join(repoRoot, 'profiles/isolate-tenants.yaml')));
  });

  it('--dry-run prints the plan and runs nothing', async () => {
    const out = join(dir, 'dry');
    const res = await runCli([
      'tune',
      scenario,
      '--budget',
      budget,
      '--space',
      spaceFile,
      '--settle',
      '2s',
      '--dry-run',
      '--out',
      out,
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n').slice(0, 7)).toEqual([
      'tune plan: short, 1 setting(s), 2 candidate(s) in the space',
      '  vary noisy-tenants.nominalConcurrencyShares: 5 10',
      '  strategy: grid, every candidate once (2 run(s) <= --max-runs 24)',
      '  then the 2 best that meet every budget once more: up to 4 run(s) of 3s, 2s settle between runs',
      '  budgets: noisy.latencyMs.p99 < 10000',
      '  objective: fewest 429s',
      expect.stringMatching(/^expected wall time: about \d+s$/),
    ]);
    await expect(readFile(join(out, 'tune.json'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a space with problems, with their location, exit 2', async () => {
    const bad = join(dir, 'bad-space.yaml');
    await writeFile(bad, space('x.yaml').replace('[5, 10]', '[5, -1]'));
    const res = await runCli(['tune', scenario, '--budget', budget, '--space', bad, '--dry-run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('error [APFBENCH_INVALID_SPACE]');
    expect(res.stderr).toContain('spec.priorityLevels[0].nominalConcurrencyShares[1]');
    expect(res.stdout).not.toContain('tune plan');
  });

  describe('against a cluster from a kubeconfig', () => {
    const env = useTestCluster();

    it('runs both candidates and the finalists, writes a profile that validates, restores APF', async () => {
      const out = join(dir, 'out');
      const before = await flowControlState(env.admin);
      const res = await runCli(
        [
          'tune',
          scenario,
          '--budget',
          budget,
          '--space',
          spaceFile,
          '--settle',
          '2s',
          '--kubeconfig',
          env.cluster.kubeconfigPath,
          '--out',
          out,
        ],
        { timeoutMs: 150_000 },
      );
      expect(res.stderr).toContain('run 1 of 4');
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const doc = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8')) as TuneDoc;
      expect(doc.status).toBe('completed');
      expect(doc.strategy).toBe('grid');
      expect(doc.trials.map((t) => t.candidate)).toEqual([
        { 'noisy-tenants.nominalConcurrencyShares': 5 },
        { 'noisy-tenants.nominalConcurrencyShares': 10 },
      ]);
      // Both met the lenient budget, so both are finalists and ran twice.
      expect(doc.trials.map((t) => [t.meets, t.runs.length])).toEqual([
        [true, 2],
        [true, 2],
      ]);
      for (const t of doc.trials) {
        for (const r of t.runs) await readFile(join(out, r));
      }
      expect(doc.winner).not.toBeNull();
      expect(doc.profile).toBe('tuned-profile.yaml');
      expect(res.stdout).toContain('| trial | settings |');
      const profile = join(out, 'tuned-profile.yaml');
      const winner = doc.trials.find((t) => t.id === doc.winner)!;
      const text = await readFile(profile, 'utf8');
      expect(text).toContain(
        `nominalConcurrencyShares: ${winner.candidate['noisy-tenants.nominalConcurrencyShares']}`,
      );
      const valid = await runCli(['profile', 'validate', profile]);
      expect(valid.stderr).toBe('');
      expect(valid.code).toBe(0);
      expect(await flowControlState(env.admin)).toEqual(before);
    });
  });
});
