// The audit log of a local control plane: its policy file in DIR/audit, the log where asked
// (DIR/audit/audit.log by default), and the kube-apiserver flags that tie them together.
import { constants } from 'node:fs';
import { access, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApfbenchError } from '../errors.js';
import { auditPolicyText, type AuditPolicy } from '../profile/index.js';
import { writeSecret } from './cluster-dir.js';

/** Rotation: at most 11 files of 200 MB (the log and 10 backups) per control plane. */
export const AUDIT_LOG_MAX_SIZE_MB = 200;
export const AUDIT_LOG_MAX_BACKUPS = 10;

/** The audit files kube-apiserver is pointed at. */
export interface AuditFiles {
  readonly policyFile: string;
  readonly logPath: string;
}

export const defaultAuditLog = (dir: string) => join(dir, 'audit', 'audit.log');

/**
 * kube-apiserver's audit flags: JSON lines of audit.k8s.io/v1 Events, rotated by size. The log
 * backend's mode stays the server's default, `blocking`, as in most clusters: each request waits
 * for its events to be written, which is the cost a comparison of levels should show.
 */
export function auditFlags(files: AuditFiles): Record<string, string> {
  return {
    'audit-policy-file': files.policyFile,
    'audit-log-path': files.logPath,
    'audit-log-format': 'json',
    'audit-log-maxsize': String(AUDIT_LOG_MAX_SIZE_MB),
    'audit-log-maxbackup': String(AUDIT_LOG_MAX_BACKUPS),
  };
}

const unwritable = (logPath: string, why: string) =>
  new ApfbenchError('APFBENCH_AUDIT_LOG_UNWRITABLE', `audit log ${logPath}: ${why}`, {
    kind: 'invalid-input',
    hint: 'give a path in a directory you can write to (or leave it out: the log goes under the control plane directory)',
  });

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * Refuses, before anything starts and without creating anything, a log path kube-apiserver
 * could not write: an existing file must be a writable file, else its nearest existing
 * ancestor must be a directory this process may create entries in. Returns what a failed start
 * removes: the first directory on the way that does not exist yet, or the log file when only it
 * is new; undefined for a log that exists (it is appended to).
 */
export async function assertAuditLogWritable(logPath: string): Promise<string | undefined> {
  const path = resolve(logPath);
  const existing = await stat(path).catch((err: unknown) => {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw unwritable(
      logPath,
      codeOf(err) === 'ENOTDIR' ? 'a parent is not a directory' : codeOf(err),
    );
  });
  if (existing !== undefined) {
    if (!existing.isFile()) throw unwritable(logPath, 'exists and is not a regular file');
    await access(path, constants.W_OK).catch((err: unknown) => {
      throw unwritable(logPath, `cannot be written (${codeOf(err)})`);
    });
    return undefined;
  }
  for (let missing = path, dir = dirname(path); ; missing = dir, dir = dirname(dir)) {
    const found = await stat(dir).catch((err: unknown) => {
      if (codeOf(err) === 'ENOENT' && dir !== dirname(dir)) return undefined;
      throw unwritable(logPath, `${dir}: ${codeOf(err)}`);
    });
    if (found === undefined) continue;
    if (!found.isDirectory()) throw unwritable(logPath, `${dir} is not a directory`);
    await access(dir, constants.W_OK | constants.X_OK).catch((err: unknown) => {
      throw unwritable(logPath, `cannot create it in ${dir} (${codeOf(err)})`);
    });
    return missing;
  }
}

/** The policy's text and the log path, both checked: what `writeAuditFiles` needs. */
export interface AuditPlan {
  readonly policyText: string;
  /** Absolute; undefined: DIR/audit/audit.log. */
  readonly logPath: string | undefined;
  /** What a failed start removes (see `assertAuditLogWritable`). */
  readonly leftover: string | undefined;
}

/**
 * Before anything starts: a policy file that does not read or check, or a log path that cannot
 * be written, is an invalid-input error naming it.
 */
export async function planAudit(policy: AuditPolicy, logPath?: string): Promise<AuditPlan> {
  const policyText = await auditPolicyText(policy);
  if (logPath === undefined) return { policyText, logPath: undefined, leftover: undefined };
  const leftover = await assertAuditLogWritable(logPath);
  return { policyText, logPath: resolve(logPath), leftover };
}

/** Writes DIR/audit/policy.yaml and creates the log's directory. */
export async function writeAuditFiles(dir: string, plan: AuditPlan): Promise<AuditFiles> {
  await mkdir(join(dir, 'audit'), { recursive: true, mode: 0o700 });
  const policyFile = await writeSecret(dir, 'audit/policy.yaml', plan.policyText);
  const logPath = plan.logPath ?? defaultAuditLog(dir);
  await mkdir(dirname(logPath), { recursive: true }).catch((err: unknown) => {
    throw unwritable(logPath, codeOf(err));
  });
  return { policyFile, logPath };
}

/** After a failed start: what the log would have left outside DIR. */
export async function removeAuditLeftover(plan: AuditPlan | undefined): Promise<void> {
  if (plan?.leftover !== undefined) await rm(plan.leftover, { recursive: true, force: true });
}
