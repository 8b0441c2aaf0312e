import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Comparison } from '../../src/report/result.js';
import { repoRoot, runCli } from '../support/cli.js';

// The whole demo takes minutes; its paths are settled before any load. Aimed at a kubeconfig that
// does not exist, it loads the bundled scenario and profiles, writes its (failed) comparison and
// stops at the kubeconfig: from a directory that is not the repository, as a user runs it.
it('apfbench demo from another directory reads its files from the package and writes under the cwd', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'apfbench-e2e-demo-'));
  const res = await runCli(['demo', '--kubeconfig', join(cwd, 'missing'), '--quiet'], { cwd });
  expect(res.stderr).not.toContain('APFBENCH_INVALID_SCENARIO');
  expect(res.stderr).toContain('APFBENCH_INVALID_KUBECONFIG]: invalid kubeconfig');
  expect(res.stderr).toContain(`${join(cwd, 'missing')}: cannot read the file (ENOENT)`);
  expect(res.code).toBe(2);
  const comparison = JSON.parse(
    await readFile(join(cwd, 'results', 'demo', 'comparison.json'), 'utf8'),
  ) as Comparison;
  expect(comparison.scenario).toBe('noisy-neighbor');
  expect(comparison.profiles.map((p) => p.file)).toEqual([
    join(repoRoot, 'profiles', 'k8s-defaults.yaml'),
    join(repoRoot, 'profiles', 'isolate-tenants.yaml'),
  ]);
  // Its own cluster as it is: the demo's small-server flags are only for a control plane it starts.
  expect(comparison.serverArgs).toBeUndefined();
});
