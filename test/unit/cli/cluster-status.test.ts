import { describe, expect, it } from 'vitest';
import { runDirLines } from '../../../src/cli/cluster-status.js';
import type { RunDir } from '../../../src/cluster/index.js';

const owner = (pid: number) => ({ version: 1 as const, pid, entries: [] });

describe('runDirLines', () => {
  it('says so when there is no directory', () => {
    expect(runDirLines('/tmp', [])).toEqual(['no ephemeral control plane directories in /tmp']);
  });

  it('gives each directory its status, owner and servers, and says what happens to stale ones', () => {
    const runs: RunDir[] = [
      {
        dir: '/tmp/apfbench-run-aaaa',
        status: 'running',
        owner: owner(10),
        processes: [
          { name: 'etcd', pid: 11, bin: '/b/etcd', alive: true },
          { name: 'kube-apiserver', pid: 12, bin: '/b/kube-apiserver', alive: true },
        ],
      },
      {
        dir: '/tmp/apfbench-run-b',
        status: 'stale',
        owner: owner(20),
        processes: [{ name: 'kube-apiserver', pid: 22, bin: '/b/kube-apiserver', alive: false }],
      },
      { dir: '/tmp/apfbench-run-c', status: 'unknown', processes: [] },
    ];
    expect(runDirLines('/tmp', runs)).toEqual([
      '/tmp/apfbench-run-aaaa  running  apfbench pid 10  etcd pid 11 (running), kube-apiserver pid 12 (running)',
      '/tmp/apfbench-run-b     stale    apfbench pid 20 (gone)  kube-apiserver pid 22 (not running)',
      '/tmp/apfbench-run-c     unknown  no owner.json',
      '',
      'stale directories are removed by the next apfbench run without --kubeconfig',
    ]);
  });
});
