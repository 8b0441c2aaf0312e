// Ties an ephemeral control plane to the process that started it. The servers (this project's
// own mains in hack/control-plane) read ownerEnv: once the owner is gone, even after a SIGKILL,
// they remove its directory, if owner.json still names that owner and the directory holds only
// what owner.json lists, and exit.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLUSTER_DIR_ENTRIES, OWNER_FILE } from './cluster-dir.js';
import { isAlive } from './processes.js';

/** DIR/owner.json. */
export interface OwnerMarker {
  readonly version: 1;
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (/proc), which tells a recycled PID apart. */
  readonly startTime?: string;
  /** The only names DIR may hold for anything to remove it. */
  readonly entries: readonly string[];
}

/** Field `index` (1-based, as in proc(5)) of /proc/PID/stat; undefined when unreadable. */
function procStatField(pid: number, index: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(index - 3);
  } catch {
    return undefined;
  }
}

export function ownerMarker(pid = process.pid): OwnerMarker {
  const startTime = procStatField(pid, 22);
  return {
    version: 1,
    pid,
    ...(startTime === undefined ? {} : { startTime }),
    entries: [...CLUSTER_DIR_ENTRIES],
  };
}

export async function writeOwnerMarker(dir: string, marker = ownerMarker()): Promise<void> {
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(marker, null, 2), { mode: 0o600 });
}

/** DIR/owner.json, or undefined when there is none or it is not one apfbench wrote. */
export async function readOwnerMarker(dir: string): Promise<OwnerMarker | undefined> {
  try {
    const parsed = JSON.parse(
      await readFile(join(dir, OWNER_FILE), 'utf8'),
    ) as Partial<OwnerMarker>;
    return Number.isInteger(parsed.pid) && Array.isArray(parsed.entries)
      ? (parsed as OwnerMarker)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True while the owner runs: its PID exists, is not a zombie (an owner killed but not yet reaped
 * is gone), and, when recorded, started when the owner did.
 */
export function ownerAlive(owner: Pick<OwnerMarker, 'pid' | 'startTime'>): boolean {
  if (!isAlive(owner.pid)) return false;
  const state = procStatField(owner.pid, 3);
  if (state === 'Z' || state === 'X') return false;
  return owner.startTime === undefined || procStatField(owner.pid, 22) === owner.startTime;
}

/** The environment that makes a server end with this process and remove `dir`. */
export function ownerEnv(dir: string): Record<string, string> {
  // Set as env.NAME, the form test/unit/error-codes.test.ts tells from an error code.
  const env: Record<string, string> = {};
  env.APFBENCH_OWNER_PID = String(process.pid);
  env.APFBENCH_OWNER_DIR = dir;
  return env;
}
