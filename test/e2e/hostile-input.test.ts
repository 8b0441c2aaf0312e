import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/**
 * Hostile input to every entry point: each case must exit with its code (2: invalid input) and
 * exactly its `test/fixtures/hostile/<name>.expected.txt` on stderr, with no stack trace, and
 * without starting anything: the CLI runs with a TMPDIR of its own, where a local control plane
 * would leave an apfbench-run-* directory. `{maxWorkers}` in an expected file stands for this
 * machine's bound on --workers, `{tmp}` for that TMPDIR and `{repo}` for the repository. After a
 * deliberate change of a message, regenerate with `UPDATE_HOSTILE=1 npx vitest run --project
 * integration test/e2e/hostile-input.test.ts` and review the diff.
 */
const update = process.env.UPDATE_HOSTILE === '1';
const HOSTILE = 'test/fixtures/hostile';
const SMOKE = 'test/fixtures/valid/tenant-smoke.yaml';
const RESULT = 'test/fixtures/results/tenant-smoke.json';
const at = (name: string) => `${HOSTILE}/${name}`;
const runSmoke = (...flags: string[]) => ['run', SMOKE, '--out', '{tmp}/out', ...flags];
const kubeconfig = (name: string) => runSmoke('--kubeconfig', at(`kubeconfig-${name}.yaml`));

const cases: Record<string, string[]> = {
  // An alias bomb at each of the six entry points of YAML.
  'scenario-alias-bomb': ['validate', at('scenario-alias-bomb.yaml')],
  'set-alias-bomb': ['validate', SMOKE, '--set', 'spec.seed={set-alias-bomb.txt}'],
  'profile-alias-bomb': ['profile', 'validate', at('profile-alias-bomb.yaml')],
  'budget-alias-bomb': ['check', '--candidate', RESULT, '--budget', at('budget-alias-bomb.yaml')],
  'run-check-budget-alias-bomb': runSmoke('--check', '--budget', at('budget-alias-bomb.yaml')),
  'kubeconfig-alias-bomb': kubeconfig('alias-bomb'),
  'deep-nesting': ['validate', at('deep-nesting.yaml')],
  'multi-document': ['validate', at('multi-document.yaml')],
  oversized: ['validate', '{tmp}/oversized.yaml'],
  'kubeconfig-clusters-mapping': kubeconfig('clusters-mapping'),
  'kubeconfig-clusters-string': kubeconfig('clusters-string'),
  'kubeconfig-clusters-number': kubeconfig('clusters-number'),
  'kubeconfig-cluster-missing': kubeconfig('cluster-missing'),
  'kubeconfig-cluster-null': kubeconfig('cluster-null'),
  'kubeconfig-exec-missing': kubeconfig('exec-missing'),
  'kubeconfig-remote-exec': kubeconfig('remote-exec'),
  'workers-exponent': runSmoke('--workers', '1e10'),
  'workers-huge': runSmoke('--workers', '100000000'),
  'repeat-exponent': [
    'compare',
    SMOKE,
    '--profile',
    'profiles/isolate-tenants.yaml',
    '--repeat',
    '1e10',
  ],
  'too-many-instances': ['validate', at('too-many-instances.yaml')],
  'too-many-in-total': ['validate', at('too-many-in-total.yaml')],
  'negative-duration': ['validate', SMOKE, '--duration', '-5s'],
  'apiserver-arg-without-value': runSmoke('--apiserver-arg', 'novalue'),
  'cluster-up-apiserver-arg-without-value': [
    'cluster',
    'up',
    '--dir',
    '{tmp}/cluster',
    '--apiserver-arg',
    'novalue',
  ],
  'snapshot-not-json': ['profile', 'restore', '--snapshot', at('snapshot-not-json.json')],
};

describe('hostile input', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it.each(Object.entries(cases))(
    '%s: exit 2, a located message, nothing started',
    async (name, template) => {
      const tmp = await mkdtemp(join(tmpdir(), 'apfbench-hostile-'));
      dirs.push(tmp);
      // Generated, not committed: 11 MiB of valid YAML.
      await writeFile(join(tmp, 'oversized.yaml'), `# ${'x'.repeat(11 * 1024 * 1024)}\n`);
      const setBomb = (await readFile(at('set-alias-bomb.txt'), 'utf8')).trim();
      const args = template.map((arg) =>
        arg.replace('{tmp}', tmp).replace('{set-alias-bomb.txt}', setBomb),
      );
      // Relative fixture paths, and the plugin of kubeconfig-remote-exec would write into `tmp`.
      const repo = process.cwd();
      const res = await runCli(
        args.map((arg) =>
          arg.startsWith('test/') || arg.startsWith('profiles/') ? join(repo, arg) : arg,
        ),
        { cwd: tmp, env: { ...process.env, TMPDIR: tmp }, timeoutMs: 60_000 },
      );
      const maxWorkers = String(availableParallelism() * 4);
      if (update) {
        const generic = res.stderr
          .replaceAll(tmp, '{tmp}')
          .replaceAll(repo, '{repo}')
          .replaceAll(`to ${maxWorkers} (`, 'to {maxWorkers} (');
        await writeFile(at(`${name}.expected.txt`), generic);
      }
      const expected = (await readFile(at(`${name}.expected.txt`), 'utf8'))
        .replaceAll('{maxWorkers}', maxWorkers)
        .replaceAll('{tmp}', tmp)
        .replaceAll('{repo}', repo);

      expect(res.stderr).toBe(expected);
      expect(res.code).toBe(2);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(res.stderr).not.toContain('starting');
      expect((await readdir(tmp)).filter((f) => f.startsWith('apfbench-run-'))).toEqual([]);
      expect(existsSync(join(tmp, 'exec-plugin-ran'))).toBe(false);
    },
  );
});
