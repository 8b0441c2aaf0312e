import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../../src/cluster/cluster-dir.js';
import { ownerAlive, ownerMarker, writeOwnerMarker } from '../../../src/cluster/owner.js';
import { isAlive } from '../../../src/cluster/processes.js';
import { removeStaleRunDirs, scanRunDirs } from '../../../src/cluster/run-dirs.js';

/** Above the kernel's largest pid_max (2^22): no process has it. */
const DEAD_PID = 2 ** 30;

const roots: string[] = [];
afterEach(() => Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true }))));

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'apfbench-rundirs-test-'));
  roots.push(root);
  return root;
}

/** A control plane directory `name` under `root` whose owner.json names `pid`, plus `files`. */
async function runDir(
  root: string,
  name: string,
  pid: number | undefined,
  files: readonly string[] = ['tokens.csv'],
): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  if (pid !== undefined) await writeOwnerMarker(dir, ownerMarker(pid));
  for (const f of files) await writeFile(join(dir, f), 'secret');
  return dir;
}

/** A state.json recording one kube-apiserver with `pid` running `bin`. */
async function writeState(dir: string, pid: number, bin: string): Promise<void> {
  const state: ClusterState = {
    version: 1,
    server: 'https://127.0.0.1:1',
    startedAt: new Date(0).toISOString(),
    binaries: { apiserver: bin, etcd: bin, source: 'flags' },
    processes: [{ name: 'kube-apiserver', pid, bin, log: join(dir, 'kube-apiserver.log') }],
    ports: { apiserver: 1, etcdClient: 2, etcdPeer: 3 },
    apiserverArgs: [],
  };
  await writeFile(join(dir, 'state.json'), JSON.stringify(state));
}

describe('ownerAlive', () => {
  it.each([
    ['this process', () => ownerMarker(process.pid), true],
    ['a PID no process has', () => ({ pid: DEAD_PID }), false],
    ['a recycled PID (another start time)', () => ({ pid: process.pid, startTime: '1' }), false],
  ])('%s', (_, owner, alive) => {
    expect(ownerAlive(owner())).toBe(alive);
  });
});

describe('scanRunDirs', () => {
  it('tells running, stale and unknown directories apart and ignores everything else', async () => {
    const root = await newRoot();
    const running = await runDir(root, 'apfbench-run-a', process.pid);
    const stale = await runDir(root, 'apfbench-run-b', DEAD_PID);
    const unknown = await runDir(root, 'apfbench-run-c', undefined);
    await runDir(root, 'apfbench-it-d', DEAD_PID);
    await writeFile(join(root, 'apfbench-run-file'), '');
    await symlink(stale, join(root, 'apfbench-run-link'));
    const found = await scanRunDirs(root);
    expect(found.map((r) => [r.dir, r.status, r.owner?.pid])).toEqual([
      [running, 'running', process.pid],
      [stale, 'stale', DEAD_PID],
      [unknown, 'unknown', undefined],
    ]);
  });

  it('reports the servers state.json records, and whether each PID exists', async () => {
    const root = await newRoot();
    const dir = await runDir(root, 'apfbench-run-a', DEAD_PID);
    await writeState(dir, process.pid, '/nonexistent/kube-apiserver');
    const [found] = await scanRunDirs(root);
    expect(found?.processes).toEqual([
      { name: 'kube-apiserver', pid: process.pid, bin: '/nonexistent/kube-apiserver', alive: true },
    ]);
  });

  it('finds nothing in a root that does not exist', async () => {
    expect(await scanRunDirs(join(await newRoot(), 'missing'))).toEqual([]);
  });
});

describe('removeStaleRunDirs', () => {
  it('removes only the directories whose owner is gone', async () => {
    const root = await newRoot();
    const running = await runDir(root, 'apfbench-run-a', process.pid);
    const stale = await runDir(root, 'apfbench-run-b', DEAD_PID, ['tokens.csv', 'pki']);
    const unknown = await runDir(root, 'apfbench-run-c', undefined);
    const removed = await removeStaleRunDirs(root);
    expect(removed).toEqual([{ dir: stale, ownerPid: DEAD_PID, killed: [] }]);
    expect([existsSync(running), existsSync(stale), existsSync(unknown)]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('keeps a stale directory that holds a file its owner.json does not list', async () => {
    const root = await newRoot();
    const dir = await runDir(root, 'apfbench-run-a', DEAD_PID, ['tokens.csv', 'notes.txt']);
    expect(await removeStaleRunDirs(root)).toEqual([]);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });

  it('does not kill a recorded PID that now runs another binary', async () => {
    const root = await newRoot();
    const dir = await runDir(root, 'apfbench-run-a', DEAD_PID);
    // The PID is this test's own: had it been killed, the test would not finish.
    await writeState(dir, process.pid, '/nonexistent/kube-apiserver');
    expect(await removeStaleRunDirs(root)).toEqual([{ dir, ownerPid: DEAD_PID, killed: [] }]);
    expect(isAlive(process.pid)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('kills a recorded server that still runs its recorded binary before removing', async () => {
    const root = await newRoot();
    const dir = await runDir(root, 'apfbench-run-a', DEAD_PID);
    const server = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      server.once('exit', (_code, signal) => resolve(signal)),
    );
    await writeState(dir, server.pid!, '/bin/sleep');
    expect(await removeStaleRunDirs(root)).toEqual([
      { dir, ownerPid: DEAD_PID, killed: [server.pid] },
    ]);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
  });

  it('uses the liveness check it is given', async () => {
    const root = await newRoot();
    const dir = await runDir(root, 'apfbench-run-a', process.pid);
    expect(await removeStaleRunDirs(root, () => false)).toEqual([
      { dir, ownerPid: process.pid, killed: [] },
    ]);
  });
});
