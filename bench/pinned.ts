/**
 * What the bench runners share: a child process pinned to one CPU with its whole-process CPU time
 * from the kernel, stopping it, and the plain-text tables they print.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The process group of the pinned child running now, if any, for `killCurrent`. */
let current: { pid: number } | undefined;

/** Open files a pinned child may hold: a simulated component's held watch is a socket. */
const OPEN_FILES = 262_144;

/**
 * Runs `argv` pinned to `cpu` inside a small shell that, once the child has exited and been
 * waited for, copies its own /proc stat: its cutime + cstime are then the child's whole-process
 * CPU time (wrk reports none of its own). The shell raises its open-file limit where it may
 * (thousands of held watches are thousands of sockets) and leads its own process group, so that
 * a stop can end the child with it. `onLine`, when given, gets the child's stdout line by line.
 */
export async function runPinned(
  cpu: number,
  argv: readonly string[],
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<{
  stdout: string;
  stderr: string;
  code: number | null;
  processCpuMs: number | undefined;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-gen-'));
  const statFile = join(dir, 'stat');
  // $0 is the stat file, $1 the CPU, the rest the command.
  const script =
    `ulimit -n ${OPEN_FILES} 2>/dev/null; ` +
    'cpu=$1; shift; taskset -c "$cpu" "$@"; rc=$?; cat /proc/$$/stat > "$0"; exit $rc';
  const child = spawn('sh', ['-c', script, statFile, String(cpu), ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid !== undefined) current = { pid };
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const text = d.toString();
    stdout += text;
    if (onLine === undefined) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => killGroup(pid), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  current = undefined;
  let processCpuMs: number | undefined;
  try {
    const stat = await readFile(statFile, 'utf8');
    // Fields after "pid (comm) ": index 13 and 14 are cutime and cstime, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processCpuMs = ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    processCpuMs = undefined;
  }
  await rm(dir, { recursive: true, force: true });
  return { stdout, stderr, code, processCpuMs };
}

/** USER_HZ; 100 on every Linux ABI Node runs on. */
const CLOCK_TICKS = 100;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Stops the pinned child running now (Ctrl-C), by its process group. */
export function killCurrent(): void {
  if (current !== undefined) killGroup(current.pid);
}

export async function hasCommand(name: string): Promise<boolean> {
  const out = await new Promise<number | null>((resolve) => {
    const c = spawn('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    c.once('error', () => resolve(null));
    c.once('close', resolve);
  });
  return out === 0;
}

export async function commandOutput(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    c.stdout.on('data', (d: Buffer) => (text += d.toString()));
    c.stderr.on('data', (d: Buffer) => (text += d.toString()));
    c.once('error', () => resolve(''));
    c.once('close', () => resolve(text.trim()));
  });
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Runs a bench's `main`, and `shutdown` after it, also on Ctrl-C or SIGTERM (then exit 130), so
 * that nothing it started outlives it; an error is printed under `name` and exits 1.
 */
export function runBench(
  name: string,
  main: () => Promise<void>,
  shutdown: () => Promise<void>,
  stopping: string,
): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping ${stopping}\n`);
      void shutdown().finally(() => process.exit(130));
    });
  }
  main()
    .catch((err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    })
    .finally(() => {
      if (!interrupted) void shutdown();
    });
}
