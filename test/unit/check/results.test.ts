import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuns } from '../../../src/check/index.js';
import { result } from './support.js';

describe('loadRuns', () => {
  it('reads a result', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'apfbench-runs-')), 'result.json');
    await writeFile(file, JSON.stringify(result()));
    expect((await loadRuns(file)).map((r) => r.result.status)).toEqual(['completed']);
  });

  it.each([
    [{ scenario: 'x' }, ['scenario: must be a mapping (got "x")']],
    [
      { status: 'done' },
      ['status: must be one of completed, degraded, partial, aborted, failed (got "done")'],
    ],
    [
      { generator: {} },
      [
        'generator.eventLoopDelayMs: is required',
        'generator.utilization: is required',
        'generator.scheduleLagMs: is required',
        'generator.saturated: is required',
        'generator.reasons: is required',
        'generator.abandonedRequests: is required',
      ],
    ],
  ])('refuses a result with %j, naming the file, line and fields', async (change, fields) => {
    const file = join(await mkdtemp(join(tmpdir(), 'apfbench-runs-')), 'result.json');
    await writeFile(file, JSON.stringify({ ...result(), ...change }));
    const err = await loadRuns(file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APFBENCH_INVALID_RESULT', kind: 'invalid-input' });
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toMatch(/^invalid result \(\d+ problems?\):$/);
    expect(lines.slice(1).map((l) => l.replace(/^(.+):1:\d+ /, '$1 '))).toEqual(
      fields.map((f) => `${file} ${f}`),
    );
  });

  it('refuses a result of a schemaVersion it does not read', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'apfbench-runs-')), 'result.json');
    await writeFile(file, JSON.stringify({ ...result(), schemaVersion: 2 }));
    await expect(loadRuns(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_RESULT',
      kind: 'invalid-input',
      message: `${file}: result schemaVersion 2 is not one this apfbench reads (1)`,
    });
  });
});

// A real comparison layout, as `apfbench compare` writes it: comparison.json names each run's
// result.json relative to itself (runs/01-k8s-defaults/result.json, ...).
const COMPARISON = 'test/fixtures/comparisons/listers/comparison.json';

describe('loadRuns of a comparison.json', () => {
  it("reads each run's result.json relative to the comparison's directory, not the cwd", async () => {
    const runs = await loadRuns(`${COMPARISON}#tight`);
    expect(runs.map((r) => [r.source, r.profile, r.result.scenario.metadata.name])).toEqual([
      ['test/fixtures/comparisons/listers/runs/02-tight/result.json', 'tight', 'listers'],
      ['test/fixtures/comparisons/listers/runs/03-tight/result.json', 'tight', 'listers'],
    ]);
  });

  it('finds the runs from another working directory (a ../ path)', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'apfbench-check-'));
    const fromThere = relative(elsewhere, COMPARISON);
    const cwd = process.cwd();
    try {
      process.chdir(elsewhere);
      const runs = await loadRuns(`${fromThere}#k8s-defaults`);
      expect(runs.map((r) => r.result.profile?.name)).toEqual(['k8s-defaults', 'k8s-defaults']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('asks for a profile when the comparison holds several', async () => {
    await expect(loadRuns(COMPARISON)).rejects.toThrow(
      `${COMPARISON}: holds runs under several profiles (k8s-defaults, tight); say which one to check`,
    );
  });

  it('names the missing run file when the comparison was copied without its runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-check-'));
    await mkdir(join(dir, 'copy'));
    const copied = join(dir, 'copy', 'comparison.json');
    await copyFile(COMPARISON, copied);
    await expect(loadRuns(`${copied}#tight`)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_RESULT',
      message: `${join(dir, 'copy', 'runs', '01-k8s-defaults', 'result.json')}: cannot read the file (ENOENT)`,
      hint: `keep the runs/ directory next to ${copied}, as compare wrote it`,
    });
  });
});
