import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApfbenchError, throwIfAborted } from '../errors.js';

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Fails with a clear error when something already listens on 127.0.0.1:port. */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ApfbenchError(
          'APFBENCH_PORT_IN_USE',
          `port ${port} for ${what} is already in use on 127.0.0.1`,
          {
            kind: 'environment',
            cause: err,
            hint: 'stop whatever listens there (`ss -ltnp`), or leave the port out to get a free one',
          },
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

export interface Spawned {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process exits, with its code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a server process with stdout and stderr in a log file, always in a process group of its
 * own: a Ctrl-C in the terminal goes to apfbench alone, which then drains, cleans up and restores
 * against a server that is still up, and stops the server itself. A detached process also
 * outlives this one (`cluster up`); the others are stopped by the caller, by PID. `env` is added
 * to this process's environment.
 */
export function startProcess(
  name: string,
  bin: string,
  args: string[],
  logFile: string,
  detached: boolean,
  env: Readonly<Record<string, string>> = {},
): Spawned {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: { ...process.env, ...env },
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  if (detached) child.unref();
  if (child.pid === undefined) {
    throw new ApfbenchError('APFBENCH_SPAWN_FAILED', `could not start ${name} (${bin})`, {
      kind: 'environment',
    });
  }
  return { name, child, pid: child.pid, logFile, exited };
}

export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` still runs `bin` (guards against a recycled PID before a kill). */
export async function runsBinary(pid: number, bin: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === bin;
  } catch {
    return isAlive(pid);
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. A SIGCONT follows
 * the SIGTERM: a process stopped by SIGSTOP (a `pause-apiserver` fault) acts on it only once
 * continued.
 */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
    process.kill(pid, 'SIGCONT');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    while (isAlive(pid)) await sleep(50);
  }
}

/**
 * Polls `probe` until it returns true. Rejects early when the process exits or `signal` aborts
 * (Ctrl-C: `interrupted`), and with a timeout error otherwise; the errors of the process carry
 * the last lines of its log. Stopping the process is the caller's job.
 */
export async function waitUntilReady(
  proc: Spawned,
  probe: () => Promise<boolean>,
  opts: {
    readonly timeoutMs: number;
    readonly onWait?: ((elapsedMs: number) => void) | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const { timeoutMs, onWait, signal } = opts;
  const started = Date.now();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((e) => (exit = e));
  let lastNote = started;
  for (;;) {
    throwIfAborted(signal, `while ${proc.name} was starting`);
    if (exit !== undefined) {
      const tail = await logTail(proc.logFile);
      const inUse = /address already in use/i.test(tail);
      throw new ApfbenchError(
        inUse ? 'APFBENCH_PORT_IN_USE' : 'APFBENCH_PROCESS_EXITED',
        `${proc.name} exited during start-up (${exit.signal ?? `code ${exit.code}`}); last lines of ${proc.logFile}:\n${tail}`,
        {
          kind: 'environment',
          ...(inUse ? { hint: 'another process took the port; run the command again' } : {}),
        },
      );
    }
    if (await probe().catch(() => false)) return;
    const elapsed = Date.now() - started;
    if (elapsed > timeoutMs) {
      throw new ApfbenchError(
        'APFBENCH_READY_TIMEOUT',
        `${proc.name} was not ready after ${Math.round(elapsed / 1000)}s; last lines of ${proc.logFile}:\n${await logTail(proc.logFile)}`,
        { kind: 'environment', hint: 'a loaded machine may need more time: pass --ready-timeout' },
      );
    }
    if (onWait && Date.now() - lastNote > 10_000) {
      lastNote = Date.now();
      onWait(elapsed);
    }
    // An abort ends the pause early; the check at the top of the loop then throws.
    await sleep(200, undefined, { signal }).catch(() => undefined);
  }
}
