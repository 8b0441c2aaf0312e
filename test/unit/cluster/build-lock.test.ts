import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { takeBuildLock } from '../../../src/cluster/binaries.js';

const lockPath = async () => join(await mkdtemp(join(tmpdir(), 'apfbench-lock-')), 'b.lock');

it('lets a second builder in only after the first releases the lock', async () => {
  const path = await lockPath();
  const order: string[] = [];
  const release = await takeBuildLock(path, () => {});
  expect(await readFile(path, 'utf8')).toBe(String(process.pid));
  const said: string[] = [];
  const second = takeBuildLock(path, (l) => said.push(l), 10).then((r) => {
    order.push('second');
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  order.push('first releases');
  await release();
  await (
    await second
  )();
  expect(order).toEqual(['first releases', 'second']);
  expect(said).toEqual([`waiting for the build another process (pid ${process.pid}) is running`]);
});

it('takes over a lock whose process is gone', async () => {
  const path = await lockPath();
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  await writeFile(path, String(gone));
  const said: string[] = [];
  const release = await takeBuildLock(path, (l) => said.push(l), 10);
  expect(await readFile(path, 'utf8')).toBe(String(process.pid));
  expect(said).toEqual([]);
  await release();
});
