// The result format: result.json (run-result-schema.ts), comparison.json (comparison-schema.ts)
// and reading them back (read-result.ts).
import type { KubeTarget } from '../kube/index.js';
import { judgeHarnessCost, type HarnessCostJudgement } from '../metrics/process-cost.js';
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

/**
 * A result's harness cost judged (metrics/process-cost.ts): the host is shared with the API
 * server when the target is a local control plane and no agent ran the load elsewhere.
 */
export function harnessCostOf(r: RunResult): HarnessCostJudgement | undefined {
  return judgeHarnessCost({
    ...r.generator,
    serverCpuSeconds: r.server?.cpuSeconds,
    sharedHost: r.target.local && r.agents === undefined,
  });
}
