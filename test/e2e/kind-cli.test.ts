import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('apfbench cluster up --provider kind', () => {
  it('exits with what to install when kind is not on PATH, and creates nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-kind-'));
    const res = await runCli(
      ['cluster', 'up', '--provider', 'kind', '--profile', 'tight', '--dir', join(dir, 'kind')],
      { env: { ...process.env, PATH: join(dir, 'empty-bin') } },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error [APFBENCH_KIND_MISSING]: `kind` is not on PATH');
    expect(res.stderr).toContain('hint: install kind');
    expect(await readdir(dir)).toEqual([]);
  });
});
