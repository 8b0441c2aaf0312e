import { rmSync } from 'node:fs';
import { isAlive, startProcess, stopPid, type Spawned } from './processes.js';
import { ownerEnv } from './owner.js';

export type ServerName = 'etcd' | 'kube-apiserver';

/** The server processes one start spawned, stopped by PID; see `ownProcesses`. */
export interface OwnedProcesses {
  readonly started: Spawned[];
  /**
   * Starts a server with its log in `logFile` and records it. Unless `detached`, the server
   * also ends by itself once this process is gone, even killed, and removes DIR (`ownerEnv`).
   */
  start(name: ServerName, bin: string, args: string[], logFile: string): Spawned;
  /**
   * Starts `name` again as its last `start` did (binary, flags, log, owner watch), in its place
   * in `started`, so that `stop` keeps stopping kube-apiserver before etcd. The caller has
   * ended the old process.
   */
  relaunch(name: ServerName): Spawned;
  /** Stops every process started, the last first. */
  stop(): Promise<void>;
  /** No longer stops them when this process exits or gets SIGHUP. */
  release(): void;
}

/**
 * Processes that end with this one: on exit they are killed and DIR removed. The servers are in a
 * process group of their own (startProcess), so a closed terminal's SIGHUP reaches only apfbench,
 * which would die without its 'exit' handlers: on SIGHUP they are killed and DIR removed before
 * this process exits 129, unless something else listens for SIGHUP (a command's `interruptible`,
 * src/cli/interrupt.ts), which stops the run in order and exits in its own time. A SIGKILL runs
 * no handler: then the servers' own owner watch (`ownerEnv`) ends them.
 */
export function ownProcesses(dir: string, detached: boolean): OwnedProcesses {
  const started: Spawned[] = [];
  // A forced exit (a second Ctrl-C, SIGHUP) takes the keys, tokens and etcd data with it too.
  const killAll = () => {
    for (const p of started) if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onHangup = () => {
    if (process.listenerCount('SIGHUP') > 1) return;
    killAll();
    process.exit(129);
  };
  process.once('exit', killAll);
  process.on('SIGHUP', onHangup);
  const env = detached ? {} : ownerEnv(dir);
  const launches = new Map<ServerName, () => Spawned>();
  return {
    started,
    start: (name, bin, args, logFile) => {
      const launch = () => startProcess(name, bin, args, logFile, detached, env);
      launches.set(name, launch);
      const proc = launch();
      started.push(proc);
      return proc;
    },
    relaunch: (name) => {
      const launch = launches.get(name);
      if (launch === undefined) throw new Error(`${name} was never started`);
      const proc = launch();
      const at = started.findIndex((p) => p.name === name);
      started.splice(at < 0 ? started.length : at, at < 0 ? 0 : 1, proc);
      return proc;
    },
    stop: async () => {
      for (const p of [...started].reverse()) await stopPid(p.pid);
    },
    release: () => {
      process.removeListener('exit', killAll);
      process.removeListener('SIGHUP', onHangup);
    },
  };
}
