/**
 * CPU time of the calling thread, from Linux's `/proc/thread-self/schedstat`: the time it ran on
 * a CPU and the time it was runnable but waited for one (the run delay: CPU it never got because
 * other work had the cores), both cumulative since the thread began. These tell a generator busy
 * with its own work from one on a busy host (lag-cause.ts).
 *
 * Read synchronously on purpose: an asynchronous read runs on libuv's thread pool, and there
 * `/proc/thread-self` is the pool's thread, not the worker whose event loop is judged.
 * Elsewhere (no /proc, or a kernel without scheduler statistics) there is no reading, and the
 * judgement keeps to the event-loop figures (`lagCause` "unknown").
 */
import { readFileSync } from 'node:fs';

/** Cumulative milliseconds of one thread. */
export interface ThreadCpu {
  /** On a CPU. */
  readonly runMs: number;
  /** Runnable, waiting in a run queue for a CPU. */
  readonly waitMs: number;
}

export const THREAD_SCHEDSTAT = '/proc/thread-self/schedstat';

/** The calling thread's CPU, or undefined where the kernel does not say. */
export function readThreadCpu(path = THREAD_SCHEDSTAT): ThreadCpu | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseSchedstat(text);
}

/** Pure. `schedstat` is three numbers: ns on a CPU, ns waiting for one, time slices. */
export function parseSchedstat(text: string): ThreadCpu | undefined {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait))
    return undefined;
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
}

/** Pure. CPU between two readings; undefined when either is missing. */
export function cpuBetween(
  from: ThreadCpu | undefined,
  to: ThreadCpu | undefined,
): ThreadCpu | undefined {
  if (from === undefined || to === undefined) return undefined;
  return {
    runMs: Math.max(0, to.runMs - from.runMs),
    waitMs: Math.max(0, to.waitMs - from.waitMs),
  };
}
