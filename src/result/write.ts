// The one place result.json, comparison.json and sweep.json are written, by `run`, `compare`
// and `sweep` alike.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Comparison, RunResult, Sweep } from './result.js';

export const RESULT_FILE = 'result.json';
export const COMPARISON_FILE = 'comparison.json';
export const SWEEP_FILE = 'sweep.json';

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

/** Where a file went: `path`, or, when the intended one failed, the fallback and why. */
export interface Written {
  readonly path: string;
  /** The intended path and its error, when `path` is the fallback. */
  readonly failed?: { readonly path: string; readonly error: string };
}

/**
 * Writes `value` to `path`; if that fails (the directory went away, the disk filled up), to
 * `fallbackName` in the system temp directory instead, so that a finished run's data is never
 * lost. Throws only when both fail.
 */
export async function writeWithFallback(
  path: string,
  value: unknown,
  fallbackName: string,
  fallbackDir = tmpdir(),
): Promise<Written> {
  try {
    await writeJsonAtomic(path, value);
    return { path };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    const fallback = join(fallbackDir, fallbackName);
    await writeJsonAtomic(fallback, value);
    return { path: fallback, failed: { path, error } };
  }
}

/**
 * Writes `dir`/`file` (result.json, comparison.json), or, when that fails, `apfbench-<name>-<file>`
 * in the temp dir (or `fallbackDir`).
 */
function writeOutput(
  dir: string,
  file: string,
  name: string,
  value: unknown,
  fallbackDir?: string,
) {
  return writeWithFallback(join(dir, file), value, `apfbench-${name}-${file}`, fallbackDir);
}

/** Writes `dir`/result.json; its fallback is named after the run id. */
export const writeResult = (dir: string, result: RunResult, fallbackDir?: string) =>
  writeOutput(dir, RESULT_FILE, result.runId, result, fallbackDir);

/** Writes `dir`/comparison.json; its fallback is named after the scenario. */
export const writeComparison = (dir: string, comparison: Comparison, fallbackDir?: string) =>
  writeOutput(dir, COMPARISON_FILE, comparison.scenario, comparison, fallbackDir);

/** Writes `dir`/sweep.json; its fallback is named after the scenario. */
export const writeSweep = (dir: string, sweep: Sweep, fallbackDir?: string) =>
  writeOutput(dir, SWEEP_FILE, sweep.scenario, sweep, fallbackDir);
