import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorsDoc } from '../../scripts/errors-doc.js';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '../../src/error-codes.js';
import { ApfbenchError, exitCodeFor } from '../../src/errors.js';

const CATALOGUE = 'src/error-codes.ts';

/** Every APFBENCH_* word in src/ with the files it is in, the catalogue's own file aside. */
function wordsInSrc(): Map<string, string[]> {
  const words = new Map<string, string[]>();
  const files = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('src', f))
    .filter((f) => f !== CATALOGUE);
  for (const file of files) {
    for (const [word] of readFileSync(file, 'utf8').matchAll(/APFBENCH_[A-Z0-9_]+/g)) {
      words.set(word, [...(words.get(word) ?? []), file]);
    }
  }
  return words;
}

/** Environment variables share the prefix; src/ reads them (or sets them for the servers it starts) as env.NAME. */
function environmentVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join('src', file), 'utf8');
    for (const [, name] of text.matchAll(/env\.(APFBENCH_[A-Z0-9_]+)/g)) names.add(name ?? '');
  }
  return names;
}

describe('the catalogue of error codes', () => {
  it('holds every APFBENCH_* code that src/ uses', () => {
    const env = environmentVariables();
    const missing = [...wordsInSrc()]
      .filter(([word]) => !env.has(word) && !isErrorCode(word))
      .map(([word, files]) => `${word} (${[...new Set(files)].join(', ')})`);
    expect(missing, `add these to ${CATALOGUE}`).toEqual([]);
    expect(env).toEqual(
      new Set([
        'APFBENCH_CACHE_DIR',
        'APFBENCH_DEBUG',
        'APFBENCH_OWNER_DIR',
        'APFBENCH_OWNER_PID',
        'APFBENCH_TEST_CRASH_WORKER',
      ]),
    );
  });

  it('holds no code that src/ does not use', () => {
    const used = wordsInSrc();
    const unused = Object.keys(ERROR_CODES).filter((code) => !used.has(code));
    expect(unused, `remove these from ${CATALOGUE}, or use them`).toEqual([]);
  });

  it('is what docs/errors.md says', () => {
    expect(
      readFileSync('docs/errors.md', 'utf8'),
      'docs/errors.md is stale; regenerate it with: npm run gen:errors-doc',
    ).toBe(errorsDoc());
  });
});

describe('ApfbenchError', () => {
  it.each<[ErrorCode, string, number]>([
    ['APFBENCH_BAD_FLAG', 'invalid-input', 2],
    ['APFBENCH_INVALID_SCENARIO', 'invalid-input', 2],
    ['APFBENCH_KUBE_API', 'environment', 1],
    ['APFBENCH_BAD_GOMOD', 'internal', 1],
    ['APFBENCH_CHECK_FAILED', 'check-failed', 3],
    ['APFBENCH_INTERRUPTED', 'interrupted', 130],
  ])('%s takes the kind %s from the catalogue and exits %i', (code, kind, exit) => {
    const err = new ApfbenchError(code, 'message');
    expect(err.kind).toBe(kind);
    expect(exitCodeFor(err)).toBe(exit);
  });

  it('exits 1 for an error without a code', () => {
    expect(exitCodeFor(new Error('a bug'))).toBe(1);
    expect(exitCodeFor('not even an Error')).toBe(1);
  });

  it('takes only codes of the catalogue, each with its own kind', () => {
    // Never called: `npm run typecheck` fails when either line stops being an error.
    const refused = () => [
      // @ts-expect-error a code not in the catalogue
      new ApfbenchError('APFBENCH_NO_SUCH_CODE', 'message'),
      // @ts-expect-error APFBENCH_BAD_FLAG is invalid input, not an environment problem
      new ApfbenchError('APFBENCH_BAD_FLAG', 'message', { kind: 'environment' }),
    ];
    expect(refused).toBeTypeOf('function');
    expect(isErrorCode('APFBENCH_NO_SUCH_CODE')).toBe(false);
    expect(isErrorCode('APFBENCH_BAD_FLAG')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });
});
