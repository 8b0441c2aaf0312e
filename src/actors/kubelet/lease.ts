import { microTime, resources, type KubeObject, type KubeResponse } from '../../kube/index.js';
import { KubeletMetric, type HeartbeatTracker } from '../../metrics/heartbeats.js';
import type { KubeletContext } from './context.js';
import { NODE_LEASE_NAMESPACE, leaseObject } from './objects.js';
import { ENSURE_BACKOFF, MAX_UPDATE_RETRIES, nextBackoff } from './timing.js';

/**
 * The kubelet's lease controller for the registered `node`: returns one tick of it
 * (controller.sync), which renews the lease and tells `tracker` of every renewal.
 */
export function leaseSync(
  k: KubeletContext,
  node: KubeObject,
  tracker: HeartbeatTracker,
): (intendedMs: number) => Promise<void> {
  const { ctx, nodeName } = k;
  const { client, clock } = ctx;
  const leaseWhere = { namespace: NODE_LEASE_NAMESPACE, name: nodeName };
  let lease: KubeObject | undefined;

  const renewed = (res: KubeResponse) => {
    lease = res.body as KubeObject;
    tracker.renewed(clock.now());
  };

  /** backoffEnsureLease: GET the lease (404 → create it) until that works. */
  const ensureLease = async (intendedMs: number): Promise<{ created: boolean } | undefined> => {
    let t = intendedMs;
    for (let wait: number = ENSURE_BACKOFF.initialMs; k.mayStart(t);) {
      const got = await k.send('get', 'leases', t, () => client.get(resources.leases, leaseWhere));
      if (got.status === 200) {
        lease = got.body as KubeObject;
        return { created: false };
      }
      if (got.status === 404) {
        const created = await k.send('create', 'leases', k.rel(), () =>
          client.create(
            resources.leases,
            leaseObject({
              nodeName,
              labels: k.labels,
              nodeUid: node.metadata.uid,
              leaseDurationMs: k.group.leaseDuration,
            }),
          ),
        );
        if (created.status === 201) {
          renewed(created);
          return { created: true };
        }
      }
      ctx.collector.count(KubeletMetric.failed);
      wait = nextBackoff(wait, ENSURE_BACKOFF.maxMs);
      t = k.rel() + wait;
      if (!(await k.sleepUntil(t))) break;
    }
    return undefined;
  };

  /** retryUpdateLease: PUT with the cached resourceVersion; a 409 re-GETs first. */
  const updateLease = async (intendedMs: number): Promise<boolean> => {
    for (let i = 0; i < MAX_UPDATE_RETRIES && lease !== undefined; i++) {
      const t = i === 0 ? intendedMs : k.rel();
      if (!k.mayStart(t)) break;
      const base = lease;
      const next = { ...base, spec: { ...(base.spec as object), renewTime: microTime() } };
      const res = await k.send('update', 'leases', t, () => client.update(resources.leases, next));
      if (res.status === 200) {
        renewed(res);
        return true;
      }
      ctx.collector.count(KubeletMetric.failed);
      if (res.status === 409 && (await ensureLease(k.rel())) === undefined) return false;
    }
    return false;
  };

  return async (intendedMs) => {
    if (lease !== undefined && (await updateLease(intendedMs))) return;
    const ensured = await ensureLease(lease === undefined ? intendedMs : k.rel());
    if (ensured !== undefined && !ensured.created) await updateLease(k.rel());
  };
}
