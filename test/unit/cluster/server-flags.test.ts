import { describe, expect, it } from 'vitest';
import {
  apiserverFlags,
  etcdFlags,
  type ApiserverFiles,
} from '../../../src/cluster/server-flags.js';

const ports = { apiserver: 6443, etcdClient: 2379, etcdPeer: 2380 };
const files: ApiserverFiles = {
  ca: '/d/pki/ca.crt',
  cert: '/d/pki/apiserver.crt',
  key: '/d/pki/apiserver.key',
  serviceAccountPublicKey: '/d/pki/sa.pub',
  serviceAccountKey: '/d/pki/sa.key',
  tokens: '/d/tokens.csv',
  certDir: '/d/pki',
};

/** The value of `--name` in `argv`, or undefined. */
const flag = (argv: readonly string[], name: string) =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('etcdFlags', () => {
  it('runs a single member on loopback with its data in the given directory', () => {
    const argv = etcdFlags('/d/etcd-data', ports);
    expect(flag(argv, 'data-dir')).toBe('/d/etcd-data');
    expect(flag(argv, 'listen-client-urls')).toBe('http://127.0.0.1:2379');
    expect(flag(argv, 'advertise-client-urls')).toBe('http://127.0.0.1:2379');
    expect(flag(argv, 'listen-peer-urls')).toBe('http://127.0.0.1:2380');
    expect(flag(argv, 'initial-cluster')).toBe('apfbench=http://127.0.0.1:2380');
  });

  it('lets extra flags replace its own and add others, each once', () => {
    const argv = etcdFlags('/d/etcd-data', ports, ['log-level=debug', 'snapshot-count=100']);
    expect(flag(argv, 'log-level')).toBe('debug');
    expect(flag(argv, 'snapshot-count')).toBe('100');
    expect(argv.filter((a) => a.startsWith('--log-level='))).toHaveLength(1);
  });
});

describe('apiserverFlags', () => {
  it('serves on loopback from the given etcd, with the given files, RBAC and APF', () => {
    const argv = apiserverFlags({ ports, files });
    expect.soft(flag(argv, 'etcd-servers')).toBe('http://127.0.0.1:2379');
    expect.soft(flag(argv, 'secure-port')).toBe('6443');
    expect.soft(flag(argv, 'bind-address')).toBe('127.0.0.1');
    expect.soft(flag(argv, 'tls-cert-file')).toBe(files.cert);
    expect.soft(flag(argv, 'tls-private-key-file')).toBe(files.key);
    expect.soft(flag(argv, 'client-ca-file')).toBe(files.ca);
    expect.soft(flag(argv, 'cert-dir')).toBe(files.certDir);
    expect.soft(flag(argv, 'service-account-key-file')).toBe(files.serviceAccountPublicKey);
    expect.soft(flag(argv, 'service-account-signing-key-file')).toBe(files.serviceAccountKey);
    expect.soft(flag(argv, 'token-auth-file')).toBe(files.tokens);
    expect.soft(flag(argv, 'authorization-mode')).toBe('Node,RBAC');
    expect.soft(flag(argv, 'enable-priority-and-fairness')).toBe('true');
  });

  it.each([
    [{}, undefined, undefined],
    [{ maxRequestsInflight: 10 }, '10', undefined],
    [{ maxMutatingRequestsInflight: 5 }, undefined, '5'],
    [{ maxRequestsInflight: 10, maxMutatingRequestsInflight: 5 }, '10', '5'],
  ])('sets the in-flight limits only when given: %j', (limits, reads, mutating) => {
    const argv = apiserverFlags({ ports, files, ...limits });
    expect(flag(argv, 'max-requests-inflight')).toBe(reads);
    expect(flag(argv, 'max-mutating-requests-inflight')).toBe(mutating);
  });

  it('lets extra flags (a profile, --apiserver-arg) override its own and the limits', () => {
    const argv = apiserverFlags({
      ports,
      files,
      maxRequestsInflight: 10,
      extra: ['max-requests-inflight=20', '--authorization-mode=RBAC', 'v=2'],
    });
    expect(flag(argv, 'max-requests-inflight')).toBe('20');
    expect(flag(argv, 'authorization-mode')).toBe('RBAC');
    expect(flag(argv, 'v')).toBe('2');
    expect(argv.filter((a) => a.startsWith('--authorization-mode='))).toHaveLength(1);
  });
});
