import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentities, renderTokenFile } from '../../../src/cluster/identities.js';
import { mergeFlags } from '../../../src/profile/server-flags.js';
import { localClusterStatus, type ClusterState } from '../../../src/cluster/local.js';

describe('mergeFlags', () => {
  it('lets user flags replace defaults and adds new ones', () => {
    expect(mergeFlags({ a: '1', b: '2' }, ['b=3', '--c=x=y', 'd'])).toEqual([
      '--a=1',
      '--b=3',
      '--c=x=y',
      '--d=true',
    ]);
  });

  it('rejects a flag without a name', () => {
    expect(() => mergeFlags({}, ['=1'])).toThrow(/expected key=value/);
  });
});

describe('identities and the token file', () => {
  const ids = generateIdentities({ nodes: 3, tenants: 2, serviceAccounts: 1 });

  it('gives nodes their system:node identity and tenants their own users', () => {
    expect(ids.nodes.map((n) => n.user)).toEqual([
      'system:node:node-00000',
      'system:node:node-00001',
      'system:node:node-00002',
    ]);
    expect(ids.nodes[0]!.groups).toEqual(['system:nodes']);
    expect(ids.tenants.map((t) => t.user)).toEqual(['tenant-0', 'tenant-1']);
    expect(ids.serviceAccounts[0]!.user).toBe('system:serviceaccount:apfbench:controller-0');
    expect(ids.admin.groups).toEqual(['system:masters']);
  });

  it('issues distinct tokens', () => {
    const tokens = [ids.admin, ...ids.nodes, ...ids.tenants, ...ids.serviceAccounts].map(
      (i) => i.token,
    );
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('writes the CSV the API server reads: token,user,uid,"groups"', () => {
    const lines = renderTokenFile(ids).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 3 + 2 + 1 + 2);
    expect(lines[1]).toBe(
      `${ids.nodes[0]!.token},system:node:node-00000,system:node:node-00000,"system:nodes"`,
    );
    expect(lines.find((l) => l.includes('controller-0'))).toMatch(
      /,"system:serviceaccounts,system:serviceaccounts:apfbench"$/,
    );
  });
});

describe('localClusterStatus', () => {
  // A state whose one recorded process is this test's own, so that it counts as running and
  // status goes on to read identities.json (the admin token for /readyz).
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  async function clusterDir(identities: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-status-'));
    dirs.push(dir);
    const state: ClusterState = {
      version: 1,
      server: 'https://127.0.0.1:1',
      startedAt: new Date().toISOString(),
      binaries: { apiserver: process.execPath, etcd: process.execPath, source: 'flags' },
      processes: [{ name: 'kube-apiserver', pid: process.pid, bin: process.execPath, log: '' }],
      ports: { apiserver: 1, etcdClient: 2, etcdPeer: 3 },
      apiserverArgs: [],
    };
    await writeFile(join(dir, 'state.json'), JSON.stringify(state));
    await writeFile(join(dir, 'identities.json'), identities);
    return dir;
  }

  it.each([
    ['is not JSON', '{ "admin": ', /^\S+identities\.json: not JSON \(/],
    [
      'has no admin',
      JSON.stringify({ nodes: [] }),
      /^\S+identities\.json:\d+:\d+ admin: is required$/m,
    ],
  ])('refuses an identities.json that %s with the identities file error', async (_, text, line) => {
    const dir = await clusterDir(text);
    const err = await localClusterStatus(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APFBENCH_INVALID_IDENTITIES', kind: 'invalid-input' });
    const [header, ...problems] = (err as Error).message.split('\n');
    expect(header).toMatch(/^invalid identities file \(\d+ problems?\):$/);
    expect(problems.join('\n')).toMatch(line);
  });
});
