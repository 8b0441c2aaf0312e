// Audit logs as a scenario source: `apfbench scenario from-audit` (docs/replay.md).
export { fromAudit, type FromAuditOptions, type FromAuditResult } from './from-audit.js';
export type { DeriveSummary, DerivedScenario } from './derive.js';
export type { ReadProgress } from './read-log.js';
export { summaryMarkdown } from './summary.js';
