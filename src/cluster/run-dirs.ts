// The directories of ephemeral control planes (`run`, `compare`, `demo` without --kubeconfig),
// found by their name under the temporary directory, and the removal of those whose owner died.
import { lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClusterState } from './cluster-dir.js';
import { ownerAlive, readOwnerMarker, type OwnerMarker } from './owner.js';
import { isAlive, runsBinary } from './processes.js';

/** mkdtemp's prefix for an ephemeral control plane's directory. */
export const RUN_DIR_PREFIX = 'apfbench-run-';

export interface RunDir {
  readonly dir: string;
  /**
   * running: its owner runs. stale: its owner is gone. unknown: no owner.json, so nothing can
   * tell (an older apfbench, or one that has just created the directory); it is left alone.
   */
  readonly status: 'running' | 'stale' | 'unknown';
  readonly owner?: OwnerMarker;
  /** The servers state.json records (written once they are ready), and whether each PID exists. */
  readonly processes: readonly { name: string; pid: number; bin: string; alive: boolean }[];
}

/** Every ephemeral control plane directory under `root`, sorted by path. */
export async function scanRunDirs(
  root: string = tmpdir(),
  isOwnerAlive: (owner: OwnerMarker) => boolean = ownerAlive,
): Promise<RunDir[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const found: RunDir[] = [];
  for (const name of names.filter((n) => n.startsWith(RUN_DIR_PREFIX)).sort()) {
    const dir = join(root, name);
    // A symbolic link or a file by that name is not one apfbench made.
    if (
      !(await lstat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      continue;
    const owner = await readOwnerMarker(dir);
    const state = await readClusterState(dir);
    const processes = (state?.processes ?? []).map((p) => ({
      name: p.name,
      pid: p.pid,
      bin: p.bin,
      alive: isAlive(p.pid),
    }));
    const status = owner === undefined ? 'unknown' : isOwnerAlive(owner) ? 'running' : 'stale';
    found.push({ dir, status, ...(owner === undefined ? {} : { owner }), processes });
  }
  return found;
}

export interface RemovedRunDir {
  readonly dir: string;
  readonly ownerPid: number;
  /** Servers that still ran (built without the owner watch) and were killed. */
  readonly killed: readonly number[];
}

/**
 * Removes the stale directories under `root`: first kills the servers state.json records that
 * still run their recorded binary (a recycled PID is left alone), then removes the directory,
 * but only when it holds nothing its owner.json does not list. Returns what it removed.
 */
export async function removeStaleRunDirs(
  root: string = tmpdir(),
  isOwnerAlive: (owner: OwnerMarker) => boolean = ownerAlive,
): Promise<RemovedRunDir[]> {
  const removed: RemovedRunDir[] = [];
  for (const run of await scanRunDirs(root, isOwnerAlive)) {
    if (run.status !== 'stale' || run.owner === undefined) continue;
    const listed = new Set(run.owner.entries);
    const entries = await readdir(run.dir).catch(() => [] as string[]);
    if (entries.some((name) => !listed.has(name))) continue;
    const killed: number[] = [];
    for (const p of run.processes) {
      if (!p.alive || !(await runsBinary(p.pid, p.bin))) continue;
      try {
        process.kill(p.pid, 'SIGKILL');
        killed.push(p.pid);
      } catch {
        // It exited meanwhile.
      }
    }
    await rm(run.dir, { recursive: true, force: true });
    removed.push({ dir: run.dir, ownerPid: run.owner.pid, killed });
  }
  return removed;
}
