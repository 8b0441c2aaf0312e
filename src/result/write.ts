// The one place result.json and comparison.json are written, by `run` and by `compare` alike.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Comparison, RunResult } from './result.js';

export const RESULT_FILE = 'result.json';
export const COMPARISON_FILE = 'comparison.json';

/**
 * Writes `value` as indented JSON with a final newline, atomically: into a temporary file in the
 * same directory, then renamed over `path`. A reader (`apfbench report`, a CI step, a second
 * Ctrl-C mid-write) sees the previous file or the whole new one, never half of it. Makes the
 * directory if needed.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Writes `dir`/result.json; returns its path. */
export async function writeResult(dir: string, result: RunResult): Promise<string> {
  const path = join(dir, RESULT_FILE);
  await writeJsonAtomic(path, result);
  return path;
}

/** Writes `dir`/comparison.json; returns its path. */
export async function writeComparison(dir: string, comparison: Comparison): Promise<string> {
  const path = join(dir, COMPARISON_FILE);
  await writeJsonAtomic(path, comparison);
  return path;
}
