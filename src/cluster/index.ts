export * from './binaries.js';
export * from './identities.js';
export * from './local.js';
export * from './pki.js';
export { RUN_DIR_PREFIX, scanRunDirs, type RunDir } from './run-dirs.js';
export { AUDIT_LOG_MAX_BACKUPS, AUDIT_LOG_MAX_SIZE_MB, defaultAuditLog } from './audit.js';
