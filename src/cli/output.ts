import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import type { Stats } from 'node:fs';
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

/**
 * Filesystems that only look like directories: the kernel's views of processes, devices and
 * settings. A recursive mkdir under /proc never returns, so a path there is refused up front.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
]);

const badOutput = (flag: string, message: string, hint: string) =>
  new ApfbenchError('APFBENCH_BAD_OUT', `${flag} ${message}`, { kind: 'invalid-input', hint });

/** The path itself or the nearest ancestor that exists, with what it is. */
async function nearestExisting(
  flag: string,
  path: string,
  hint: string,
): Promise<{ dir: string; found: Stats | undefined }> {
  const stats = (p: string) =>
    stat(p).catch((error: NodeJS.ErrnoException) => {
      // Not there, or under a file: the walk up finds what is in the way.
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw badOutput(flag, `${path}: cannot use ${p} (${error.code ?? String(error)})`, hint);
    });
  let dir = resolve(path);
  let found = await stats(dir);
  while (found === undefined && dirname(dir) !== dir) {
    dir = dirname(dir);
    found = await stats(dir);
  }
  return { dir, found };
}

/** Refuses a directory that is not writable or not on a filesystem that holds files. */
async function assertWritableDir(flag: string, path: string, dir: string, hint: string) {
  await access(dir, constants.W_OK | constants.X_OK).catch(() => {
    throw badOutput(flag, `${path}: ${dir} is not writable`, hint);
  });
  const fs = PSEUDO_FILESYSTEMS.get((await statfs(dir)).type);
  if (fs !== undefined) {
    throw badOutput(flag, `${path}: ${dir} is on ${fs}, not a filesystem that holds files`, hint);
  }
}

const DIR_HINT = (flag: string) =>
  `give ${flag} a directory you can write to, or a path where one can be made`;

/**
 * Checks, before anything starts, that the output directory `out` (of `flag`) can take the files
 * of a run: it is a writable directory on a regular filesystem, or can be made in one. A `file`
 * (result.json, comparison.json) already in it, from an earlier run, is replaced: that is said
 * now, not discovered afterwards.
 */
export async function checkOutDir(out: string, file?: string, flag = '--out'): Promise<void> {
  const hint = DIR_HINT(flag);
  const { dir, found } = await nearestExisting(flag, out, hint);
  if (found?.isDirectory() !== true) {
    throw badOutput(
      flag,
      dir === resolve(out) ? `${out}: not a directory` : `${out}: ${dir} is not a directory`,
      hint,
    );
  }
  await assertWritableDir(flag, out, dir, hint);
  if (file !== undefined && dir === resolve(out) && (await exists(join(dir, file)))) {
    progress(`note: ${join(out, file)} is from an earlier run; this one replaces it`);
  }
}

/**
 * Checks, before anything starts, that `flag`'s output file `path` can be written: not a
 * directory, and in a writable directory on a regular filesystem (or one that can be made).
 */
export async function checkOutFile(flag: string, path: string): Promise<void> {
  const hint = `give ${flag} a file path in a directory you can write to`;
  const { dir, found } = await nearestExisting(flag, path, hint);
  if (dir === resolve(path)) {
    if (found?.isDirectory() === true) throw badOutput(flag, `${path}: is a directory`, hint);
    if (found?.isFile() !== true) throw badOutput(flag, `${path}: not a regular file`, hint);
    await assertWritableDir(flag, path, dirname(dir), hint);
    return;
  }
  if (found?.isDirectory() !== true) {
    throw badOutput(flag, `${path}: ${dir} is not a directory`, hint);
  }
  await assertWritableDir(flag, path, dir, hint);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
