// Audit policies for control planes apfbench starts: a level, written as a policy of one rule,
// or a policy file of the user's, checked with a location before anything starts.
import { isAbsolute, dirname, join } from 'node:path';
import { z } from 'zod';
import { InvalidFileError, locatedProblemsHint, readInputFile } from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';

/** audit.k8s.io/v1 levels, from the least to the most recorded. */
export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

/** What `--audit-policy` and a profile's `spec.apiserver.auditPolicy` take. */
export type AuditPolicy = AuditLevel | { readonly file: string };

/**
 * A level (in any case: `metadata` is `Metadata`) or else a policy file's path. A file named
 * like a level is written `./Metadata`.
 */
export function auditPolicyOf(value: string): AuditPolicy {
  const level = AUDIT_LEVELS.find((l) => l.toLowerCase() === value.toLowerCase());
  return level ?? { file: value };
}

/**
 * A profile's `auditPolicy`: a level, or a file relative to the profile file's directory (as
 * a profile is read wherever it is run from).
 */
export function profileAuditPolicy(value: string, profileFile: string): AuditPolicy {
  const policy = auditPolicyOf(value);
  if (typeof policy === 'string' || isAbsolute(policy.file)) return policy;
  return { file: join(dirname(profileFile), policy.file) };
}

/** As result.json and messages name it: the level, or the file. */
export const describeAuditPolicy = (policy: AuditPolicy): string =>
  typeof policy === 'string' ? policy : policy.file;

/** True when two policies (either may be absent) need different control planes. */
export function sameAuditPolicy(a: AuditPolicy | undefined, b: AuditPolicy | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return describeAuditPolicy(a) === describeAuditPolicy(b) && typeof a === typeof b;
}

/**
 * The policy of one level. Events of the RequestReceived stage are left out, as most clusters'
 * policies do: they repeat the ResponseComplete event without its outcome, double the log,
 * and nothing in apfbench reads them. `None` is a policy too: the server still evaluates it
 * for every request, and writes nothing.
 */
export function levelPolicyYaml(level: AuditLevel): string {
  return [
    'apiVersion: audit.k8s.io/v1',
    'kind: Policy',
    'omitStages: [RequestReceived]',
    'rules:',
    `  - level: ${level}`,
    '',
  ].join('\n');
}

/**
 * What kube-apiserver would refuse at start (its own errors end up in a log file): the kind,
 * the version and at least one rule with a level. Other fields are the server's to check.
 */
const auditPolicyFileSchema = z.looseObject({
  apiVersion: z.literal('audit.k8s.io/v1'),
  kind: z.literal('Policy'),
  rules: z.array(z.looseObject({ level: z.enum(AUDIT_LEVELS) })).min(1, 'needs at least one rule'),
});

/** A policy file with problems (unreadable, not YAML, not an audit.k8s.io/v1 Policy). */
export class AuditPolicyError extends InvalidFileError {
  override readonly name = 'AuditPolicyError';

  constructor(problems: ConstructorParameters<typeof InvalidFileError>[2]) {
    super(
      'APFBENCH_INVALID_AUDIT_POLICY',
      'audit policy',
      problems,
      locatedProblemsHint(
        'A policy file is an audit.k8s.io/v1 Policy; or give a level: None, Metadata, Request or RequestResponse.',
      ),
    );
  }
}

/** The text of the policy file kube-apiserver is given; throws AuditPolicyError. */
export async function auditPolicyText(policy: AuditPolicy): Promise<string> {
  if (typeof policy === 'string') return levelPolicyYaml(policy);
  const read = await readInputFile(policy.file);
  if (!read.ok) throw new AuditPolicyError(read.problems);
  const checked = validateYaml(auditPolicyFileSchema, read.text, policy.file);
  if (!checked.ok) throw new AuditPolicyError(checked.problems);
  return read.text;
}
