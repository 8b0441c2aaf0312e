import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** SIGKILLs each of `pids` that is still running, and empties the list (a test's afterEach). */
export function killAll(pids: number[]): void {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
export const cliPath = fileURLToPath(new URL('../../bin/apfbench.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the published entry point as a user would (the compiled CLI). */
export function runCli(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    /** Working directory (default: the repository root). */
    cwd?: string;
    timeoutMs?: number;
    /** With the child itself, to close its output as a closed terminal would, say. */
    onSpawn?: (pid: number, child: ChildProcessByStdio<null, Readable, Readable>) => void;
    /** Called with everything printed so far, after each chunk on either stream. */
    onOutput?: (stdout: string, stderr: string) => void;
    /** In a process group of its own, as a shell starts it: `process.kill(-pid)` then signals the group as a terminal's Ctrl-C does. */
    processGroup?: boolean;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.processGroup === true,
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid, child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onOutput?.(stdout, stderr);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onOutput?.(stdout, stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs the CLI and sends it one SIGINT, as a Ctrl-C, once what it printed on stderr satisfies
 * `when` (and `beforeSignal`, if given, has resolved). `interrupted` says whether it was sent.
 */
export async function runCliInterrupted(
  args: string[],
  when: (stderr: string) => boolean,
  opts: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    beforeSignal?: () => Promise<void>;
  } = {},
): Promise<CliResult & { interrupted: boolean }> {
  const { beforeSignal = () => Promise.resolve(), ...runOpts } = opts;
  let pid = 0;
  let triggered = false;
  let interrupted = false;
  const res = await runCli(args, {
    ...runOpts,
    onSpawn: (p) => (pid = p),
    onOutput: (_stdout, stderr) => {
      if (triggered || !when(stderr)) return;
      triggered = true;
      void beforeSignal().then(() => {
        interrupted = true;
        process.kill(pid, 'SIGINT');
      });
    },
  });
  return { ...res, interrupted };
}
