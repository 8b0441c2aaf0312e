import { describe, expect, it } from 'vitest';
import { generateIdentities, renderTokenFile } from '../../../src/cluster/identities.js';
import { mergeFlags } from '../../../src/cluster/local.js';

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
