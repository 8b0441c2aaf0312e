import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkOutDir } from '../../../src/cli/output.js';

const dir = () => mkdtemp(join(tmpdir(), 'apfbench-out-'));

describe('checkOutDir', () => {
  afterEach(() => vi.restoreAllMocks());

  function stderr(): string[] {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    return lines;
  }

  it('takes a directory that is there or can be made, saying nothing', async () => {
    const d = await dir();
    const said = stderr();
    await checkOutDir(d, 'result.json');
    await checkOutDir(join(d, 'a', 'b'), 'result.json');
    expect(said).toEqual([]);
  });

  it.each([
    ['a file', (file: string) => file, (file: string) => `--out ${file}: not a directory`],
    [
      'a path under a file',
      (file: string) => join(file, 'sub', 'dir'),
      (file: string) => `--out ${join(file, 'sub', 'dir')}: ${file} is not a directory`,
    ],
  ])('refuses %s', async (_what, outOf, message) => {
    const file = join(await dir(), 'taken');
    await writeFile(file, 'x');
    await expect(checkOutDir(outOf(file), 'result.json')).rejects.toMatchObject({
      code: 'APFBENCH_BAD_OUT',
      kind: 'invalid-input',
      message: message(file),
    });
  });

  it('says up front that an earlier result in it will be replaced', async () => {
    const d = await dir();
    await mkdir(join(d, 'runs'));
    await writeFile(join(d, 'comparison.json'), '{}');
    const said = stderr();
    await checkOutDir(d, 'result.json');
    expect(said).toEqual([]);
    await checkOutDir(d, 'comparison.json');
    expect(said).toEqual([
      `note: ${join(d, 'comparison.json')} is from an earlier run; this one replaces it\n`,
    ]);
  });
});
