import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, MAX_INPUT_BYTES, readInputFile } from '../../../src/validation/problems.js';
import { parseYaml, plainValue, YAML_LIMITS } from '../../../src/validation/yaml-load.js';

/** `levels` lines of anchors, each a list of `width` aliases to the one before. */
function aliasBomb(levels: number, width: number): string {
  const lines = [`l0: &l0 [${Array(width).fill('x').join(', ')}]`];
  for (let i = 1; i < levels; i += 1) {
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const problemsOf = (text: string) => {
  const parsed = parseYaml(text, 'f.yaml');
  return parsed.ok ? [] : parsed.problems.map(formatProblem);
};

describe('parseYaml', () => {
  const limit = YAML_LIMITS.maxAliasExpansion;
  it.each([
    [
      'an alias bomb',
      aliasBomb(9, 9),
      [
        `f.yaml:5:10: aliases expand to more than ${limit} values (a "billion laughs" YAML bomb?); apfbench expands at most ${limit}`,
      ],
    ],
    [
      'an alias inside its own anchor',
      'a: &a [1, *a]\n',
      [
        `f.yaml:1:11: aliases expand to more than ${limit} values (a "billion laughs" YAML bomb?); apfbench expands at most ${limit}`,
      ],
    ],
    [
      'two documents',
      'a: 1\n---\nb: 2\n',
      ['f.yaml:2:1: the file has 2 YAML documents (separated by ---); apfbench reads one per file'],
    ],
    [
      '65 levels of lists',
      `${'['.repeat(65)}${']'.repeat(65)}\n`,
      [
        `f.yaml:1:65: mappings and lists nest more than 64 levels deep here; apfbench reads at most 64`,
      ],
    ],
    [
      '20,000 levels of lists, without exhausting the stack',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
      [
        `f.yaml:1:65: mappings and lists nest more than 64 levels deep here; apfbench reads at most 64`,
      ],
    ],
    [
      '2,000 levels of block mappings',
      Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
      [
        `f.yaml:65:65: mappings and lists nest more than 64 levels deep here; apfbench reads at most 64`,
      ],
    ],
    [
      'a syntax error',
      'a: [1\n',
      [
        'f.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
  ])('refuses %s with a located problem', (_name, text, expected) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it.each([
    ['64 levels of lists', `${'['.repeat(64)}${']'.repeat(64)}\n`],
    ['one anchor used 500 times', `a: &a 1\nb: [${Array(500).fill('*a').join(', ')}]\n`],
    ['a small alias tree', aliasBomb(3, 9)],
    ['an empty file', ''],
  ])('reads %s', (_name, text) => {
    const parsed = parseYaml(text, 'f.yaml');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(() => plainValue(parsed.doc)).not.toThrow();
  });
});

describe('readInputFile', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-input-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('refuses a file over the limit before reading it, and a device that never ends', async () => {
    const file = join(await tempDir(), 'big.yaml');
    await writeFile(file, Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20));
    for (const path of [file, '/dev/zero']) {
      const read = await readInputFile(path);
      expect(read).toMatchObject({ ok: false, reason: 'EFBIG' });
      if (!read.ok) {
        expect(read.problems.map(formatProblem)).toEqual([
          `${path}: is larger than 10 MiB, the most apfbench reads`,
        ]);
      }
    }
  });

  it('reads a file of exactly the limit', async () => {
    const file = join(await tempDir(), 'full.yaml');
    await writeFile(file, Buffer.alloc(MAX_INPUT_BYTES, 0x61));
    const read = await readInputFile(file);
    expect(read.ok && read.text.length).toBe(MAX_INPUT_BYTES);
  });
});
