import { describe, expect, it } from 'vitest';
import type { IdentitiesFile } from '../../../src/cluster/identities.js';
import { IdentityResolver, authChoiceOf } from '../../../src/engine/identities.js';

const file: IdentitiesFile = {
  version: 1,
  admin: { user: 'apfbench-admin', groups: ['system:masters'], token: 'admin-token' },
  nodes: [
    {
      nodeName: 'node-0',
      user: 'system:node:node-0',
      groups: ['system:nodes'],
      token: 'n0',
      cert: 'CERT n0',
    },
    { nodeName: 'node-1', user: 'system:node:node-1', groups: ['system:nodes'], token: 'n1' },
  ],
  nodeKey: 'NODE KEY',
  tenants: [{ user: 'tenant-0', groups: ['apfbench:tenants'], token: 't0' }],
  serviceAccounts: [],
  components: [
    { user: 'system:kube-scheduler', groups: [], token: 's', cert: 'CERT s', key: 'KEY s' },
  ],
};
const admin = { name: 'admin', token: 'admin-token' };
const ids = new IdentityResolver(admin, file);

describe('IdentityResolver', () => {
  it('gives a node its certificate, with the shared node key and no token, unless asked for a token', () => {
    expect(ids.resolve('system:node:node-0', ['system:nodes'], 'certificate')).toEqual({
      name: 'system:node:node-0',
      clientCert: { cert: 'CERT n0', key: 'NODE KEY' },
    });
    expect(ids.resolve('system:node:node-0', ['system:nodes'], 'either')).toEqual({
      name: 'system:node:node-0',
      clientCert: { cert: 'CERT n0', key: 'NODE KEY' },
    });
    expect(ids.resolve('system:node:node-0', ['system:nodes'], 'token')).toEqual({
      name: 'system:node:node-0',
      token: 'n0',
    });
  });

  it('gives a component its own key', () => {
    expect(ids.resolve('system:kube-scheduler', [], 'either').clientCert).toEqual({
      cert: 'CERT s',
      key: 'KEY s',
    });
  });

  it('falls back to the token, then to impersonation, where there is no certificate and either will do', () => {
    expect(ids.resolve('system:node:node-1', ['system:nodes'], 'either')).toEqual({
      name: 'system:node:node-1',
      token: 'n1',
    });
    expect(ids.resolve('system:node:node-9', ['system:nodes'], 'either')).toEqual({
      ...admin,
      name: 'system:node:node-9',
      impersonate: { user: 'system:node:node-9', groups: ['system:nodes'] },
    });
  });

  it('refuses a certificate asked for and missing, naming the group and what to do', () => {
    expect(() =>
      ids.resolve(
        'system:node:node-1',
        ['system:nodes'],
        'certificate',
        'spec.actors[0] (kubelets)',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'APFBENCH_NO_CERTIFICATE',
        kind: 'invalid-input',
        message:
          'spec.actors[0] (kubelets): auth: certificate, but there is no client certificate for system:node:node-1',
      }),
    );
    // A kubeconfig's cluster without an identities file: every user is impersonated.
    expect(() =>
      new IdentityResolver(admin).resolve('system:node:node-0', [], 'certificate'),
    ).toThrow(expect.objectContaining({ code: 'APFBENCH_NO_CERTIFICATE' }));
  });
});

it.each([
  [undefined, 'token'],
  ['token', 'token'],
  ['certificate', 'certificate'],
] as const)('auth %s is %s', (auth, expected) => {
  expect(authChoiceOf(auth)).toBe(expected);
});
