import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/**
 * `report` and `check` on every recorded result, comparison and example give the same bytes as
 * the outputs pinned under test/fixtures/golden/ (a restructuring must not change a figure or a
 * word). Only the report's generation time and the temporary output directory are masked.
 * After a deliberate change of output, regenerate with `UPDATE_GOLDEN=1 npx vitest run
 * test/e2e/golden-output.test.ts` and review the diff.
 */
const golden = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

const reports = {
  'tenant-smoke': 'test/fixtures/results/tenant-smoke.json',
  listers: 'test/fixtures/comparisons/listers/comparison.json',
  'ci-baseline': 'examples/ci/baseline.json',
};

const checks = {
  'tenant-smoke-budget': [
    '--candidate',
    'test/fixtures/results/tenant-smoke.json',
    '--budget',
    'examples/ci/budget.yaml',
  ],
  'ci-baseline-regression': [
    '--candidate',
    'examples/ci/baseline.json',
    '--baseline',
    'examples/ci/baseline.json',
    '--budget',
    'examples/ci/budget.yaml',
  ],
  'listers-profiles': [
    '--candidate',
    'test/fixtures/comparisons/listers/comparison.json#tight',
    '--baseline',
    'test/fixtures/comparisons/listers/comparison.json#k8s-defaults',
    '--budget',
    'test/fixtures/golden/listers.budget.yaml',
  ],
  'listers-no-budget': ['--candidate', 'test/fixtures/comparisons/listers/comparison.json#tight'],
};

const mask = (text: string, dir: string) =>
  text
    .replaceAll(dir, '<out>')
    .replace(/(<p class="generated">Generated )[^ ]+( by )/, '$1<time>$2');

async function expectGolden(name: string, actual: string) {
  const path = join(golden, name);
  if (update) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, actual);
  }
  expect(actual, `differs from test/fixtures/golden/${name}`).toBe(await readFile(path, 'utf8'));
}

describe('report and check output is pinned', () => {
  for (const [name, input] of Object.entries(reports)) {
    it(`report ${input}`, async () => {
      const out = await mkdtemp(join(tmpdir(), 'apfbench-golden-'));
      const res = await runCli(['report', input, '--no-png', '--out', out]);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      await expectGolden(`${name}/stdout.txt`, mask(res.stdout, out));
      for (const file of ['report.html', 'summary.md']) {
        await expectGolden(`${name}/${file}`, mask(await readFile(join(out, file), 'utf8'), out));
      }
    });
  }

  for (const [name, args] of Object.entries(checks)) {
    it(`check ${args.join(' ')}`, async () => {
      const out = await mkdtemp(join(tmpdir(), 'apfbench-golden-'));
      const res = await runCli([
        'check',
        ...args,
        '--junit',
        join(out, 'junit.xml'),
        '--summary',
        join(out, 'check-summary.md'),
      ]);
      const transcript = `exit ${res.code}\n--- stdout\n${res.stdout}--- stderr\n${res.stderr}`;
      await expectGolden(`check-${name}/transcript.txt`, mask(transcript, out));
      if (res.code === 0 || res.code === 3) {
        for (const file of ['junit.xml', 'check-summary.md']) {
          const text = await readFile(join(out, file), 'utf8');
          await expectGolden(`check-${name}/${file}`, mask(text, out));
        }
      }
    });
  }
});
