import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApfbenchError, exitCodeFor } from '../errors.js';

/** The one place that turns an error into what the user reads. */
export function printError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof ApfbenchError) {
    stderr.write(`error [${err.code}]: ${err.message}\n`);
    if (err.hint !== undefined) stderr.write(`hint: ${err.hint}\n`);
    if (process.env.APFBENCH_DEBUG && err.cause !== undefined)
      stderr.write(`cause: ${String(err.cause)}\n`);
  } else {
    stderr.write(
      `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  return exitCodeFor(err);
}

export const progress = (line: string) => process.stderr.write(`${line}\n`);

const badOut = (message: string) =>
  new ApfbenchError('APFBENCH_BAD_OUT', `--out ${message}`, {
    kind: 'invalid-input',
    hint: 'give --out a directory you can write to, or a path where one can be made',
  });

/**
 * Checks, before anything starts, that the output directory `out` can take the files of a run:
 * it is a writable directory, or can be made in one. A `file` (result.json, comparison.json)
 * already in it, from an earlier run, is replaced: that is said now, not discovered afterwards.
 */
export async function checkOutDir(out: string, file: string): Promise<void> {
  const stats = (path: string) =>
    stat(path).catch((error: NodeJS.ErrnoException) => {
      // Not there, or under a file: the walk up below finds what is in the way.
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw badOut(`${out}: cannot use ${path} (${error.code ?? String(error)})`);
    });
  let dir = resolve(out);
  let found = await stats(dir);
  while (found === undefined && dirname(dir) !== dir) {
    dir = dirname(dir);
    found = await stats(dir);
  }
  if (found?.isDirectory() !== true) {
    throw badOut(
      dir === resolve(out) ? `${out}: not a directory` : `${out}: ${dir} is not a directory`,
    );
  }
  await access(dir, constants.W_OK | constants.X_OK).catch(() => {
    throw badOut(`${out}: ${dir} is not writable`);
  });
  if (dir === resolve(out) && (await stats(join(dir, file))) !== undefined) {
    progress(`note: ${join(out, file)} is from an earlier run; this one replaces it`);
  }
}
