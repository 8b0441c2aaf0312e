import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertAuditLogWritable,
  auditFlags,
  planAudit,
  removeAuditLeftover,
  writeAuditFiles,
} from '../../../src/cluster/audit.js';
import { startLocalCluster } from '../../../src/cluster/index.js';
import { apiserverFlags, type ApiserverFiles } from '../../../src/cluster/server-flags.js';
import { ApfbenchError } from '../../../src/errors.js';

const root = await mkdtemp(join(tmpdir(), 'apfbench-audit-unit-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof ApfbenchError ? err.code : String(err)),
  );

describe('auditFlags', () => {
  it('points kube-apiserver at the policy and a JSON log rotated by size', () => {
    expect(auditFlags({ policyFile: '/d/audit/policy.yaml', logPath: '/o/audit.log' })).toEqual({
      'audit-policy-file': '/d/audit/policy.yaml',
      'audit-log-path': '/o/audit.log',
      'audit-log-format': 'json',
      'audit-log-maxsize': '200',
      'audit-log-maxbackup': '10',
    });
  });

  it('are among the server flags only with an audit policy, and --apiserver-arg overrides them', () => {
    const ports = { apiserver: 6443, etcdClient: 2379, etcdPeer: 2380 };
    const files = { tokens: '/d/tokens.csv' } as ApiserverFiles;
    const audit = { policyFile: '/d/audit/policy.yaml', logPath: '/o/audit.log' };
    expect(apiserverFlags({ ports, files }).some((f) => f.startsWith('--audit-'))).toBe(false);
    const argv = apiserverFlags({ ports, files, audit, extra: ['audit-log-maxsize=5'] });
    expect(argv).toContain('--audit-policy-file=/d/audit/policy.yaml');
    expect(argv).toContain('--audit-log-path=/o/audit.log');
    expect(argv).toContain('--audit-log-maxsize=5');
    expect(argv.filter((f) => f.startsWith('--audit-log-maxsize='))).toHaveLength(1);
  });
});

describe('assertAuditLogWritable', () => {
  it('names the first directory it would create, or the new file, for a failed start to remove', async () => {
    expect(await assertAuditLogWritable(join(root, 'a/b/audit.log'))).toBe(join(root, 'a'));
    expect(await assertAuditLogWritable(join(root, 'new.log'))).toBe(join(root, 'new.log'));
    await writeFile(join(root, 'old.log'), 'x');
    expect(await assertAuditLogWritable(join(root, 'old.log'))).toBeUndefined();
    // It checked; it created nothing.
    expect((await readdir(root)).sort()).toEqual(['old.log']);
  });

  it.each([
    [
      'under a file',
      'old.log/audit.log',
      /old\.log is not a directory|a parent is not a directory/,
    ],
    ['a directory', 'adir', /exists and is not a regular file/],
  ])('refuses a log path %s with a located message', async (_, rel, message) => {
    await writeFile(join(root, 'old.log'), 'x');
    await mkdir(join(root, 'adir'), { recursive: true });
    const err = await assertAuditLogWritable(join(root, rel)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApfbenchError);
    expect((err as ApfbenchError).code).toBe('APFBENCH_AUDIT_LOG_UNWRITABLE');
    expect((err as ApfbenchError).kind).toBe('invalid-input');
    expect((err as Error).message).toContain(join(root, rel));
    expect((err as Error).message).toMatch(message);
  });
});

describe('planAudit and writeAuditFiles', () => {
  it('write the level policy in DIR/audit and create the log directory outside it', async () => {
    const dir = join(root, 'cluster');
    const log = join(root, 'out', 'audit', 'audit.log');
    const plan = await planAudit('Metadata', log);
    expect(plan.leftover).toBe(join(root, 'out'));
    const files = await writeAuditFiles(dir, plan);
    expect(files).toEqual({ policyFile: join(dir, 'audit', 'policy.yaml'), logPath: log });
    expect(await readFile(files.policyFile, 'utf8')).toContain('- level: Metadata');
    expect(await readdir(join(root, 'out', 'audit'))).toEqual([]);
    await removeAuditLeftover(plan);
    expect(await readdir(root)).not.toContain('out');
  });

  it('put the log in DIR/audit/audit.log by default', async () => {
    const dir = join(root, 'cluster2');
    const files = await writeAuditFiles(dir, await planAudit('None'));
    expect(files.logPath).toBe(join(dir, 'audit', 'audit.log'));
  });
});

describe('startLocalCluster with an audit policy', () => {
  it('refuses a bad policy file or log path before it starts or creates anything', async () => {
    const dir = join(root, 'never');
    const start = (opts: object) => startLocalCluster({ dir, ...opts });
    expect(await codeOf(start({ auditPolicy: { file: join(root, 'missing.yaml') } }))).toBe(
      'APFBENCH_INVALID_AUDIT_POLICY',
    );
    await writeFile(join(root, 'old.log'), 'x');
    expect(
      await codeOf(start({ auditPolicy: 'Request', auditLogPath: join(root, 'old.log/x/a.log') })),
    ).toBe('APFBENCH_AUDIT_LOG_UNWRITABLE');
    expect(await codeOf(start({ auditLogPath: join(root, 'a.log') }))).toBe('APFBENCH_BAD_FLAG');
    expect(await readdir(root)).not.toContain('never');
  });
});
