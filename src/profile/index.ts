export {
  applyProfile,
  planProfile,
  planRestoreNow,
  readFlowControl,
  readSnapshotFile,
  removeSnapshotFile,
  restoreSnapshot,
  snapshotNote,
  withApplier,
  withProfile,
  writeSnapshotFile,
  type AppliedProfile,
  type ApplyOptions,
  type ProfileApplier,
  type ProfileOutcome,
  type ProfilePlan,
} from './apply.js';
export {
  AUDIT_LEVELS,
  AuditPolicyError,
  auditPolicyOf,
  auditPolicyText,
  describeAuditPolicy,
  levelPolicyYaml,
  profileAuditPolicy,
  sameAuditPolicy,
  type AuditLevel,
  type AuditPolicy,
} from './audit-policy.js';
export { apiserverArgsOf, assertFlagsApplicable, sameFlags } from './flags.js';
export { profileJsonSchema } from './json-schema.js';
export { checkServerFlag } from './server-flags.js';
export { loadProfileFile, parseProfile, ProfileError, type ParseProfileResult } from './load.js';
export {
  AUTOUPDATE_ANNOTATION,
  formatActions,
  planApply,
  planRestore,
  type Action,
  type Snapshot,
} from './plan.js';
export { MANDATORY_NAMES, SUGGESTED, type Profile, type ProfileInput } from './schema.js';
