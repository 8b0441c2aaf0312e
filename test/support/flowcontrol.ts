import type { KubeClient } from '../../src/kube/index.js';
import { readFlowControl } from '../../src/profile/index.js';

/**
 * The server's flowcontrol objects as far as a profile changes them (spec and annotations, by
 * kind/name), for "left as it was" checks: resourceVersions and status are left out.
 */
export async function flowControlState(admin: KubeClient): Promise<Record<string, unknown>> {
  const objects = await readFlowControl(admin);
  return Object.fromEntries(
    [...objects].map(([k, o]) => [k, { spec: o.spec, annotations: o.metadata.annotations }]),
  );
}
