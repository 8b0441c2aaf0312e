import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assertKindUsable, kindClusterConfig, parseFlags } from '../../../src/cluster/kind.js';

describe('kind cluster config', () => {
  const text = kindClusterConfig({
    name: 'apfbench',
    apiserverArgs: [
      'max-requests-inflight=6',
      '--max-mutating-requests-inflight=3',
      'enable-priority-and-fairness',
    ],
  });
  const config = parse(text) as {
    kind: string;
    apiVersion: string;
    name: string;
    nodes: { role: string }[];
    kubeadmConfigPatches: string[];
  };

  it('is a kind v1alpha4 Cluster with one control-plane node', () => {
    expect(config).toMatchObject({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name: 'apfbench',
      nodes: [{ role: 'control-plane' }],
    });
  });

  it('sets the flags through kubeadm ClusterConfiguration patches for v1beta3 and v1beta4', () => {
    const patches = config.kubeadmConfigPatches.map((p) => parse(p) as Record<string, unknown>);
    expect(patches).toEqual([
      {
        apiVersion: 'kubeadm.k8s.io/v1beta3',
        kind: 'ClusterConfiguration',
        apiServer: {
          extraArgs: {
            'max-requests-inflight': '6',
            'max-mutating-requests-inflight': '3',
            'enable-priority-and-fairness': 'true',
          },
        },
      },
      {
        apiVersion: 'kubeadm.k8s.io/v1beta4',
        kind: 'ClusterConfiguration',
        apiServer: {
          extraArgs: [
            { name: 'max-requests-inflight', value: '6' },
            { name: 'max-mutating-requests-inflight', value: '3' },
            { name: 'enable-priority-and-fairness', value: 'true' },
          ],
        },
      },
    ]);
  });

  it('has no patches without flags, and adds workers on request', () => {
    const plain = parse(kindClusterConfig({ name: 'x', apiserverArgs: [], workers: 2 })) as Record<
      string,
      unknown
    >;
    expect(plain.kubeadmConfigPatches).toBeUndefined();
    expect(plain.nodes).toEqual([
      { role: 'control-plane' },
      { role: 'worker' },
      { role: 'worker' },
    ]);
  });

  it('quotes values so that YAML keeps them strings', () => {
    const [patch] = (
      parse(kindClusterConfig({ name: 'x', apiserverArgs: ['audit-log-path=-', 'x=a: b'] })) as {
        kubeadmConfigPatches: string[];
      }
    ).kubeadmConfigPatches;
    expect((parse(patch ?? '') as { apiServer: unknown }).apiServer).toEqual({
      extraArgs: { 'audit-log-path': '-', x: 'a: b' },
    });
  });

  it('refuses what is not a flag, and lets the last of a repeated flag win', () => {
    expect(() => parseFlags(['Max=1'])).toThrow('"Max=1" is not a kube-apiserver flag');
    expect(parseFlags(['a=1', 'a=2'])).toEqual([['a', '2']]);
  });
});

describe('kind prerequisites', () => {
  const bin = async (files: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-kind-bin-'));
    for (const [name, script] of Object.entries(files)) {
      await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
      await chmod(join(dir, name), 0o755);
    }
    return dir;
  };

  it('says to install kind when it is missing', async () => {
    const dir = await bin({ docker: 'exit 0' });
    await expect(assertKindUsable({ PATH: dir })).rejects.toMatchObject({
      code: 'APFBENCH_KIND_MISSING',
      hint: expect.stringContaining('install kind') as unknown,
    });
  });

  it('says to install Docker when it is missing, and to start it when it does not answer', async () => {
    await expect(assertKindUsable({ PATH: await bin({ kind: 'exit 0' }) })).rejects.toMatchObject({
      code: 'APFBENCH_DOCKER_MISSING',
    });
    const down = await bin({
      kind: 'exit 0',
      docker: 'echo "Cannot connect to the Docker daemon" >&2; exit 1',
    });
    await expect(assertKindUsable({ PATH: down })).rejects.toMatchObject({
      code: 'APFBENCH_DOCKER_UNAVAILABLE',
      message: expect.stringContaining('Cannot connect to the Docker daemon') as unknown,
    });
  });
});
