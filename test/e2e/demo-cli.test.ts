import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

// The whole demo takes minutes; its paths are settled before any load. Aimed at a kubeconfig that
// does not exist, from a directory that is not the repository, as a user runs it: it loads the
// bundled scenario and profiles (no scenario or profile error) and then refuses the kubeconfig,
// before it writes anything.
it('apfbench demo from another directory reads its files from the package and refuses a bad kubeconfig before writing', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'apfbench-e2e-demo-'));
  const res = await runCli(['demo', '--kubeconfig', join(cwd, 'missing'), '--quiet'], { cwd });
  expect(res.stderr).not.toMatch(
    /APFBENCH_INVALID_(SCENARIO|PROFILE)|ENOENT.*(scenarios|profiles)\//,
  );
  expect(res.stderr).toContain('APFBENCH_INVALID_KUBECONFIG]: invalid kubeconfig');
  expect(res.stderr).toContain(`${join(cwd, 'missing')}: cannot read the file (ENOENT)`);
  expect(res.code).toBe(2);
  // An earlier demo's comparison would have been replaced by a failed one.
  expect(existsSync(join(cwd, 'results'))).toBe(false);
});
