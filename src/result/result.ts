// The result format: result.json (run-result-schema.ts), comparison.json (comparison-schema.ts)
// and reading them back (read-result.ts).
import type { KubeTarget } from '../kube/index.js';
import type { RunResult } from './run-result-schema.js';

export * from './run-result-schema.js';
export * from './comparison-schema.js';
export * from './sweep-schema.js';
export * from './read-result.js';

export function describeTarget(
  target: KubeTarget,
  serverVersion: string,
  local: boolean,
): RunResult['target'] {
  return { server: target.server, serverVersion, local };
}
