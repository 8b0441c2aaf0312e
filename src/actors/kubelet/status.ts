import { resources } from '../../kube/index.js';
import { KubeletMetric } from '../../metrics/heartbeats.js';
import type { KubeletContext } from './context.js';
import { heartbeatStatusPatch } from './objects.js';
import { STATUS_UPDATE_RETRIES } from './timing.js';

/**
 * The node status loop, started once the node registered: returns one tick of
 * syncNodeStatus. The simulated node's status never changes, so it reports only once per
 * statusReportInterval. It reads the Node from what it last wrote, as the kubelet reads its node
 * lister, so a tick without a report sends nothing.
 */
export function statusSync(k: KubeletContext): (intendedMs: number) => Promise<void> {
  const { ctx } = k;
  // As kubelet_node_status.go's lastStatusReportTime: zero at first, so the first tick reports,
  // and set to the time a report was started, not answered, so that a slow PATCH does not make
  // the next tick (jittered a little shorter than it) skip its report.
  let lastReportMs = Number.NEGATIVE_INFINITY;
  return async (intendedMs) => {
    const now = k.rel();
    if (now - lastReportMs < k.group.statusReportInterval) return;
    for (let i = 0; i < STATUS_UPDATE_RETRIES; i++) {
      const t = i === 0 ? intendedMs : k.rel();
      if (!k.mayStart(t)) break;
      const res = await k.send('patch', 'nodes/status', t, () =>
        ctx.client.patch(
          resources.nodes,
          k.nodeName,
          heartbeatStatusPatch(new Date()),
          'strategic',
          {
            subresource: 'status',
            discardBody: true,
          },
        ),
      );
      if (res.status === 200) {
        lastReportMs = now;
        ctx.collector.count(KubeletMetric.statusReports);
        return;
      }
      ctx.collector.count(KubeletMetric.statusFailed);
    }
  };
}
