import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  apiserverArgsOf,
  assertFlagsApplicable,
  auditPolicyOfProfile,
  loadProfileFile,
  profileJsonSchema,
  parseProfile,
  ProfileError,
  sameFlags,
} from '../../../src/profile/index.js';
import { formatProblem } from '../../../src/validation/problems.js';

const INVALID = 'test/fixtures/profiles/invalid';

describe('invalid profile files', () => {
  const names = readdirSync(INVALID).filter((name) => name.endsWith('.yaml'));

  it.each(names)('%s reports exactly its .expected.txt', (name) => {
    const file = `${INVALID}/${name}`;
    const expected = readFileSync(file.replace(/\.yaml$/, '.expected.txt'), 'utf8').trimEnd();
    const result = parseProfile(readFileSync(file, 'utf8'), file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem).join('\n')).toBe(expected);
  });

  it('throws a ProfileError with exit code 2 and a hint naming the JSON Schema', async () => {
    const error = await loadProfileFile(`${INVALID}/wrong-kind.yaml`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfileError);
    expect((error as ProfileError).kind).toBe('invalid-input');
    expect((error as ProfileError).hint).toContain('schema/profile.schema.json');
  });

  it('says when the file cannot be read', async () => {
    await expect(loadProfileFile('nope.yaml')).rejects.toThrow(
      'nope.yaml: cannot read the file (ENOENT)',
    );
  });
});

describe('bundled profiles', () => {
  const names = readdirSync('profiles').filter((name) => name.endsWith('.yaml'));

  it('has the eight the documentation names', () => {
    expect(names.sort()).toEqual([
      'audit-none.yaml',
      'audit-request-response.yaml',
      'isolate-tenants.yaml',
      'k8s-defaults.yaml',
      'nodes-in-global-default.yaml',
      'priority-level-isolation.yaml',
      'protect-heartbeats.yaml',
      'tight.yaml',
    ]);
  });

  it.each(names)('%s is valid and named after its file', async (name) => {
    const profile = await loadProfileFile(`profiles/${name}`);
    expect(`${profile.metadata.name}.yaml`).toBe(name);
  });
});

describe('API-server flags', () => {
  const withFlags = (apiserver: string) => {
    const parsed = parseProfile(
      `apiVersion: apfbench.dev/v1alpha1\nkind: Profile\nmetadata: { name: p }\nspec:\n  apiserver: ${apiserver}\n`,
      'p.yaml',
    );
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
    return parsed.profile;
  };

  it('turns fields and args into sorted key=value flags, later args winning', () => {
    const profile = withFlags(
      "{ maxRequestsInflight: 6, maxMutatingRequestsInflight: 3, args: ['--v=2', 'max-requests-inflight=7', '--profiling'] }",
    );
    expect(apiserverArgsOf(profile)).toEqual([
      'max-mutating-requests-inflight=3',
      'max-requests-inflight=7',
      'profiling=true',
      'v=2',
    ]);
  });

  it('compares flag sets', () => {
    expect(sameFlags([], [])).toBe(true);
    expect(sameFlags(['a=1'], ['a=2'])).toBe(false);
  });

  it('takes an audit policy: a level, or a file relative to the profile', () => {
    expect(auditPolicyOfProfile(withFlags('{ auditPolicy: RequestResponse }'), 'p/x.yaml')).toBe(
      'RequestResponse',
    );
    expect(auditPolicyOfProfile(withFlags('{ auditPolicy: audit.yaml }'), 'p/x.yaml')).toEqual({
      file: 'p/audit.yaml',
    });
    expect(auditPolicyOfProfile(withFlags('{ maxRequestsInflight: 6 }'), 'p/x.yaml')).toBe(
      undefined,
    );
    const audited = withFlags('{ auditPolicy: None }');
    expect(apiserverArgsOf(audited)).toEqual([]);
    expect(() => assertFlagsApplicable(audited, true)).not.toThrow();
    expect(() => assertFlagsApplicable(audited, false, 'p.yaml')).toThrow(
      'profile p (p.yaml) sets kube-apiserver flags (--audit-policy=None)',
    );
  });

  it('refuses flags on a cluster apfbench did not start, with a hint', () => {
    const profile = withFlags('{ maxRequestsInflight: 6 }');
    expect(() => assertFlagsApplicable(profile, true)).not.toThrow();
    expect(() => assertFlagsApplicable(profile, false, 'p.yaml')).toThrow(
      'profile p (p.yaml) sets kube-apiserver flags (--max-requests-inflight=6), which apfbench can only set on a control plane it starts itself',
    );
  });
});

describe('schema/profile.schema.json', () => {
  it('is what the zod schema generates', () => {
    const committed: unknown = JSON.parse(readFileSync('schema/profile.schema.json', 'utf8'));
    expect(
      committed,
      'schema/profile.schema.json is stale; regenerate it with: npx tsx scripts/gen-schema.ts',
    ).toEqual(profileJsonSchema());
  });
});
