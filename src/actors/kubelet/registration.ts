import { resources, type KubeObject } from '../../kube/index.js';
import { KubeletMetric } from '../../metrics/heartbeats.js';
import type { KubeletContext } from './context.js';
import { nodeObject } from './objects.js';
import { ENSURE_BACKOFF, nextBackoff } from './timing.js';

/**
 * registerWithAPIServer: POST the Node, 409 → GET it; retried with backoff until it works.
 * Resolves to the registered Node, or undefined when the run ended first.
 */
export async function register(
  k: KubeletContext,
  intendedMs: number,
): Promise<KubeObject | undefined> {
  const { ctx, nodeName } = k;
  let t = intendedMs;
  for (let wait: number = ENSURE_BACKOFF.initialMs; k.mayStart(t);) {
    const obj = nodeObject({
      name: nodeName,
      index: k.instance.index,
      kubeletVersion: ctx.run.serverVersion ?? 'v0.0.0-apfbench',
      labels: k.labels,
      now: new Date(),
    });
    let node: KubeObject | undefined;
    const created = await k.send('create', 'nodes', t, () =>
      ctx.client.create(resources.nodes, obj),
    );
    if (created.status === 201) node = created.body as KubeObject;
    else if (created.status === 409) {
      const got = await k.send('get', 'nodes', k.rel(), () =>
        ctx.client.get(resources.nodes, { name: nodeName }),
      );
      if (got.status === 200) node = await adopt(k, got.body as KubeObject);
    }
    if (node !== undefined) {
      ctx.collector.count(KubeletMetric.registered);
      return node;
    }
    wait = nextBackoff(wait, ENSURE_BACKOFF.maxMs);
    t = k.rel() + wait;
    if (!(await k.sleepUntil(t))) break;
  }
  return undefined;
}

/** A Node left by an earlier run gets this run's label, so that cleanup finds it. */
async function adopt(k: KubeletContext, existing: KubeObject): Promise<KubeObject> {
  const { ctx } = k;
  if (existing.metadata.labels?.[ctx.run.labelKey] === ctx.run.id) return existing;
  const patched = await k.send('patch', 'nodes', k.rel(), () =>
    ctx.client.patch(resources.nodes, k.nodeName, { metadata: { labels: k.labels } }, 'merge'),
  );
  return patched.status === 200 ? (patched.body as KubeObject) : existing;
}
