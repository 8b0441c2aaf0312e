import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Comparison, RunResult } from '../../../src/result/result.js';
import { writeComparison, writeJsonAtomic, writeResult } from '../../../src/result/write.js';

const dir = () => mkdtemp(join(tmpdir(), 'apfbench-write-'));

describe('writeJsonAtomic', () => {
  it('writes indented JSON with a final newline, making the directory', async () => {
    const path = join(await dir(), 'a', 'b', 'x.json');
    await writeJsonAtomic(path, { a: 1, b: [2] });
    expect(await readFile(path, 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n');
  });

  it('replaces an earlier file and leaves no temporary file behind', async () => {
    const d = await dir();
    const path = join(d, 'x.json');
    await writeFile(path, 'old');
    await writeJsonAtomic(path, { n: 2 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ n: 2 });
    expect(await readdir(d)).toEqual(['x.json']);
  });

  it('keeps the earlier file and cleans up when the value cannot be serialised', async () => {
    const d = await dir();
    const path = join(d, 'x.json');
    await writeFile(path, 'old');
    await expect(writeJsonAtomic(path, { n: 1n })).rejects.toThrow(/BigInt/);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(d)).toEqual(['x.json']);
  });

  it('fails, leaving nothing, when the path is a directory', async () => {
    const d = await dir();
    await mkdir(join(d, 'x.json'));
    await expect(writeJsonAtomic(join(d, 'x.json'), {})).rejects.toThrow();
    expect(await readdir(d)).toEqual(['x.json']);
  });
});

describe('writeResult and writeComparison', () => {
  it('write result.json and comparison.json into the directory, returning their paths', async () => {
    const d = await dir();
    const result = { runId: 'r' } as unknown as RunResult;
    const comparison = { scenario: 's' } as unknown as Comparison;
    expect(await writeResult(join(d, 'run'), result)).toEqual({
      path: join(d, 'run', 'result.json'),
    });
    expect(await writeComparison(d, comparison)).toEqual({ path: join(d, 'comparison.json') });
    expect(JSON.parse(await readFile(join(d, 'run', 'result.json'), 'utf8'))).toEqual(result);
    expect(JSON.parse(await readFile(join(d, 'comparison.json'), 'utf8'))).toEqual(comparison);
  });
});

describe('a finished run is never lost', () => {
  it('writes to the fallback directory when the output directory was replaced by a file', async () => {
    const d = await dir();
    const fallback = await dir();
    // The output directory's parent was taken away mid-run, and a file stands in its place.
    await writeFile(join(d, 'gone'), 'not a directory');
    const result = { runId: 'noisy-20261202' } as unknown as RunResult;
    const written = await writeResult(join(d, 'gone', 'out'), result, fallback);
    expect(written.path).toBe(join(fallback, 'apfbench-noisy-20261202-result.json'));
    expect(written.failed?.path).toBe(join(d, 'gone', 'out', 'result.json'));
    expect(written.failed?.error).toMatch(/ENOTDIR|EEXIST/);
    expect(JSON.parse(await readFile(written.path, 'utf8'))).toEqual(result);
  });

  it('names the comparison after its scenario in the fallback directory', async () => {
    const d = await dir();
    const fallback = await dir();
    await writeFile(join(d, 'gone'), 'x');
    const comparison = { scenario: 'listers' } as unknown as Comparison;
    const written = await writeComparison(join(d, 'gone'), comparison, fallback);
    expect(written.path).toBe(join(fallback, 'apfbench-listers-comparison.json'));
  });
});
