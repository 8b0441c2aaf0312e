import { expect, it } from 'vitest';
import { generateIdentities } from '../../../src/cluster/identities.js';

it('gives service-account users a scenario names the groups of service accounts, and components no tenant entry', () => {
  const ids = generateIdentities({ nodes: 0, tenants: 0, serviceAccounts: 1 }, [
    'system:serviceaccount:apfbench:ctrl-0',
    'system:serviceaccount:apfbench:controller-0',
    'system:kube-scheduler',
    'quiet-0',
  ]);
  expect(ids.serviceAccounts.map((s) => [s.user, s.namespace, s.name, s.groups])).toEqual([
    [
      'system:serviceaccount:apfbench:controller-0',
      'apfbench',
      'controller-0',
      ['system:serviceaccounts', 'system:serviceaccounts:apfbench'],
    ],
    [
      'system:serviceaccount:apfbench:ctrl-0',
      'apfbench',
      'ctrl-0',
      ['system:serviceaccounts', 'system:serviceaccounts:apfbench'],
    ],
  ]);
  expect(ids.tenants.map((t) => t.user)).toEqual(['quiet-0']);
  expect(ids.components.map((c) => c.user)).toEqual([
    'system:kube-scheduler',
    'system:kube-controller-manager',
  ]);
});

it('gives a user named with its groups (a replayed flow) those groups and apfbench:replay, the implicit one left out', () => {
  const ids = generateIdentities({ nodes: 0, tenants: 0, serviceAccounts: 0 }, [
    { user: 'alice', groups: ['team-a', 'system:authenticated'] },
    { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] },
    'quiet-0',
  ]);
  expect(ids.tenants.map((t) => [t.user, t.groups])).toEqual([
    ['alice', ['team-a', 'apfbench:replay']],
    ['quiet-0', ['apfbench:tenants']],
  ]);
  expect(ids.nodes.map((n) => [n.user, n.groups])).toEqual([
    ['system:node:n1', ['system:nodes', 'apfbench:replay']],
  ]);
});
