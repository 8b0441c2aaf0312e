import { performance } from 'node:perf_hooks';
import { resources, type KubeList, type KubeStatus } from '../../kube/index.js';
import { CREATED_AT_ANNOTATION, KubeletMetric } from '../../metrics/heartbeats.js';
import type { KubeletContext } from './context.js';
import { nodeAddress, runningPodPatch, shouldStartPod, type PodLike } from './objects.js';
import { WATCH_BACKOFF, nextBackoff } from './timing.js';

/**
 * The pod informer on the pods bound to the node: LIST, then WATCH from its resourceVersion;
 * resume on drop, relist on 410. With pod churn, it reports each new pod Running, at most
 * maxInFlight at a time. Resolves once the node stopped and every report settled.
 */
export async function watchPods(k: KubeletContext): Promise<void> {
  const pods = podStarter(k);
  const { ctx, rng } = k;
  const { client } = ctx;
  const fieldSelector = `spec.nodeName=${k.nodeName}`;
  let resourceVersion: string | undefined;
  let lists = 0;
  let wait = 0;
  const backoff = async () => {
    wait = nextBackoff(Math.max(wait, WATCH_BACKOFF.initialMs / 2), WATCH_BACKOFF.maxMs);
    return k.sleepUntil(k.rel() + wait * (1 + rng.next()));
  };
  while (!k.over()) {
    if (resourceVersion === undefined) {
      // The reflector lists from the watch cache (resourceVersion 0) at first, and
      // consistently ('') after its resourceVersion expired.
      const res = await k.send('list', 'pods', k.rel(), () =>
        client.list<PodLike>(resources.pods, {
          fieldSelector,
          resourceVersion: lists === 0 ? '0' : undefined,
          limit: 500,
        }),
      );
      if (lists++ > 0) ctx.collector.count(KubeletMetric.watchRelists);
      const list = res.body as KubeList<PodLike> | undefined;
      if (res.status !== 200 || list === undefined) {
        if (!(await backoff())) break;
        continue;
      }
      resourceVersion = list.metadata.resourceVersion ?? '';
      for (const pod of list.items) pods.event('ADDED', pod);
    }
    let failed = false;
    try {
      ctx.collector.count(KubeletMetric.watchOpened);
      const stream = await client.watch<PodLike>(resources.pods, {
        fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        // client-go: minWatchTimeout × (1 + rand), 5 to 10 minutes.
        timeoutSeconds: Math.floor(300 * (1 + rng.next())),
        signal: k.life.signal,
      });
      for await (const ev of stream) {
        if (ev.type === 'ERROR') {
          const status = ev.object as unknown as KubeStatus;
          if (status.code === 410) resourceVersion = undefined;
          else failed = true;
          break;
        }
        resourceVersion = ev.object.metadata.resourceVersion ?? resourceVersion;
        if (ev.type === 'BOOKMARK') ctx.collector.count(KubeletMetric.watchBookmarks);
        else {
          ctx.collector.count(KubeletMetric.watchEvents);
          pods.event(ev.type, ev.object);
        }
      }
    } catch {
      failed = true;
    }
    if (k.over()) break;
    ctx.collector.count(KubeletMetric.watchRestarts);
    if (!failed) wait = 0;
    else {
      ctx.collector.count(KubeletMetric.watchErrors);
      if (!(await backoff())) break;
    }
  }
  await pods.settled();
}

/** Reports the node's new pods Running (with pod churn), each once, up to maxInFlight at a time. */
function podStarter(k: KubeletContext) {
  const { ctx, group } = k;
  const hostIP = nodeAddress(k.instance.index);
  const starting = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  let slots = group.maxInFlight;
  const uidOf = (pod: PodLike) =>
    pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;

  const start = (pod: PodLike) => {
    const uid = uidOf(pod);
    if (!shouldStartPod(pod, k.nodeName) || starting.has(uid) || !k.mayStart(k.rel())) return;
    if (slots === 0) {
      ctx.collector.dropped(k.rel());
      return;
    }
    slots--;
    starting.add(uid);
    const createdAt = Number(pod.metadata.annotations?.[CREATED_AT_ANNOTATION]);
    const p = k
      .send('patch', 'pods/status', k.rel(), () =>
        ctx.client.patch(
          resources.pods,
          pod.metadata.name ?? '',
          runningPodPatch(new Date(), hostIP),
          'strategic',
          { namespace: pod.metadata.namespace, subresource: 'status', discardBody: true },
        ),
      )
      .then((res) => {
        if (res.status !== 200) {
          starting.delete(uid);
          return;
        }
        ctx.collector.count(KubeletMetric.podsStarted);
        if (Number.isFinite(createdAt)) {
          const ackEpochMs = performance.timeOrigin + res.doneAt;
          ctx.collector.observe(
            KubeletMetric.podStartup,
            Math.max(0, ackEpochMs - createdAt) * 1000,
          );
        }
      })
      .finally(() => {
        slots++;
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  return {
    event(type: string, pod: PodLike): void {
      if (type === 'DELETED') starting.delete(uidOf(pod));
      else if (group.podChurn) start(pod);
    },
    async settled(): Promise<void> {
      await Promise.allSettled([...inFlight]);
    },
  };
}
