import { ApfbenchError } from '../errors.js';
import { describeAuditPolicy, profileAuditPolicy, type AuditPolicy } from './audit-policy.js';
import type { Profile } from './schema.js';

/**
 * The kube-apiserver flags a profile needs, as `key=value` (the form `startLocalCluster`
 * takes), sorted so that two profiles needing the same flags compare equal.
 */
export function apiserverArgsOf(profile: Profile): string[] {
  const flags = profile.spec.apiserver;
  if (flags === undefined) return [];
  const args = new Map<string, string>();
  if (flags.maxRequestsInflight !== undefined) {
    args.set('max-requests-inflight', String(flags.maxRequestsInflight));
  }
  if (flags.maxMutatingRequestsInflight !== undefined) {
    args.set('max-mutating-requests-inflight', String(flags.maxMutatingRequestsInflight));
  }
  for (const arg of flags.args ?? []) {
    const text = arg.replace(/^--/, '');
    const eq = text.indexOf('=');
    args.set(eq < 0 ? text : text.slice(0, eq), eq < 0 ? 'true' : text.slice(eq + 1));
  }
  return [...args].map(([k, v]) => `${k}=${v}`).sort();
}

/** A profile's audit policy (`spec.apiserver.auditPolicy`), a file relative to `file`'s directory. */
export function auditPolicyOfProfile(profile: Profile, file: string): AuditPolicy | undefined {
  const value = profile.spec.apiserver?.auditPolicy;
  return value === undefined ? undefined : profileAuditPolicy(value, file);
}

/** True when two flag lists (from `apiserverArgsOf`) need different control planes. */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((flag, i) => flag === b[i]);
}

/**
 * A profile with API-server flags can only be used on a control plane apfbench starts: on any
 * other cluster the flags would be silently ignored and the comparison would lie.
 */
export function assertFlagsApplicable(profile: Profile, local: boolean, file?: string): void {
  const audit = auditPolicyOfProfile(profile, file ?? '.');
  const args = [
    ...apiserverArgsOf(profile),
    ...(audit === undefined ? [] : [`audit-policy=${describeAuditPolicy(audit)}`]),
  ];
  if (args.length === 0 || local) return;
  throw new ApfbenchError(
    'APFBENCH_PROFILE_NEEDS_FLAGS',
    `profile ${profile.metadata.name}${file === undefined ? '' : ` (${file})`} sets kube-apiserver flags (${args.map((a) => `--${a}`).join(' ')}), ` +
      'which apfbench can only set on a control plane it starts itself',
    {
      kind: 'invalid-input',
      hint: 'leave out --kubeconfig to run on an ephemeral local control plane, or start the cluster with these flags yourself and use a copy of the profile without spec.apiserver',
    },
  );
}
