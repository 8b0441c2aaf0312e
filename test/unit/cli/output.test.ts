import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkOutDir, checkOutFile } from '../../../src/cli/output.js';

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

describe('output paths on filesystems that hold no files', () => {
  it.each([
    [
      '/proc/apfbench-x',
      '--out /proc/apfbench-x: /proc is on proc, not a filesystem that holds files',
    ],
    [
      '/sys/apfbench-x',
      '--out /sys/apfbench-x: /sys is on sysfs, not a filesystem that holds files',
    ],
  ])('refuses %s before anything starts (mkdir there never returns)', async (out, message) => {
    await expect(checkOutDir(out, 'result.json')).rejects.toMatchObject({
      code: 'APFBENCH_BAD_OUT',
      message,
    });
  });
});

describe('checkOutFile (--junit, --summary)', () => {
  it('takes a new file in a directory that is there or can be made, and an old file', async () => {
    const d = await dir();
    await writeFile(join(d, 'old.xml'), 'x');
    await checkOutFile('--junit', join(d, 'junit.xml'));
    await checkOutFile('--junit', join(d, 'new', 'junit.xml'));
    await checkOutFile('--junit', join(d, 'old.xml'));
  });

  it('refuses a directory, a path under a file, and /proc', async () => {
    const d = await dir();
    await writeFile(join(d, 'taken'), 'x');
    await expect(checkOutFile('--junit', d)).rejects.toMatchObject({
      code: 'APFBENCH_BAD_OUT',
      message: `--junit ${d}: is a directory`,
    });
    await expect(checkOutFile('--summary', join(d, 'taken', 's.md'))).rejects.toMatchObject({
      message: `--summary ${join(d, 'taken', 's.md')}: ${join(d, 'taken')} is not a directory`,
    });
    await expect(checkOutFile('--summary', '/proc/apfbench/s.md')).rejects.toMatchObject({
      message: '--summary /proc/apfbench/s.md: /proc is on proc, not a filesystem that holds files',
    });
  });
});
