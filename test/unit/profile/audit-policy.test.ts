import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AUDIT_LEVELS,
  AuditPolicyError,
  auditPolicyOf,
  auditPolicyText,
  levelPolicyYaml,
  profileAuditPolicy,
  sameAuditPolicy,
} from '../../../src/profile/index.js';

const root = await mkdtemp(join(tmpdir(), 'apfbench-audit-policy-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('auditPolicyOf', () => {
  it.each([
    ['Metadata', 'Metadata'],
    ['requestresponse', 'RequestResponse'],
    ['NONE', 'None'],
    ['policy.yaml', { file: 'policy.yaml' }],
    ['./Metadata', { file: './Metadata' }],
  ])('%s is %j', (value, policy) => {
    expect(auditPolicyOf(value)).toEqual(policy);
  });

  it("reads a profile's policy file relative to the profile", () => {
    expect(profileAuditPolicy('audit.yaml', 'profiles/x.yaml')).toEqual({
      file: 'profiles/audit.yaml',
    });
    expect(profileAuditPolicy('/etc/audit.yaml', 'profiles/x.yaml')).toEqual({
      file: '/etc/audit.yaml',
    });
    expect(profileAuditPolicy('Request', 'profiles/x.yaml')).toBe('Request');
  });

  it('tells policies that need another control plane apart', () => {
    expect(sameAuditPolicy(undefined, undefined)).toBe(true);
    expect(sameAuditPolicy('None', undefined)).toBe(false);
    expect(sameAuditPolicy('None', 'None')).toBe(true);
    expect(sameAuditPolicy('None', 'Metadata')).toBe(false);
    expect(sameAuditPolicy({ file: 'a.yaml' }, { file: 'a.yaml' })).toBe(true);
  });
});

describe('levelPolicyYaml', () => {
  it.each(AUDIT_LEVELS)(
    '%s: one rule of that level, without the RequestReceived stage',
    (level) => {
      expect(parse(levelPolicyYaml(level))).toEqual({
        apiVersion: 'audit.k8s.io/v1',
        kind: 'Policy',
        omitStages: ['RequestReceived'],
        rules: [{ level }],
      });
    },
  );
});

describe('auditPolicyText', () => {
  it('returns a valid policy file as written', async () => {
    const text =
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    users: [admin]\n  - level: Metadata\n';
    await writeFile(join(root, 'ok.yaml'), text);
    expect(await auditPolicyText({ file: join(root, 'ok.yaml') })).toBe(text);
  });

  it.each([
    [
      'wrong kind and level',
      'apiVersion: audit.k8s.io/v1\nkind: Polcy\nrules:\n  - level: Everything\n',
      [':2:7 kind:', ':4:12 rules[0].level:'],
    ],
    ['no rules', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n', [':3:8 rules:']],
    ['not YAML', 'rules: [\n', ['bad.yaml:']],
  ])('refuses a policy file with %s, with file, line and column', async (_, text, where) => {
    const file = join(root, 'bad.yaml');
    await writeFile(file, text);
    const err = await auditPolicyText({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditPolicyError);
    expect((err as AuditPolicyError).code).toBe('APFBENCH_INVALID_AUDIT_POLICY');
    for (const w of where) expect((err as Error).message).toContain(w);
  });

  it('refuses a policy file that cannot be read', async () => {
    const err = await auditPolicyText({ file: join(root, 'missing.yaml') }).catch(
      (e: unknown) => e,
    );
    expect((err as AuditPolicyError).code).toBe('APFBENCH_INVALID_AUDIT_POLICY');
    expect((err as Error).message).toContain('missing.yaml');
  });
});
