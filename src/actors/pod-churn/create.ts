import { performance } from 'node:perf_hooks';
import { createSchedule, dispatch, type ScheduleSpec } from '../../timing/schedule.js';
import { resourcePath, resources, withQuery, type KubeObject } from '../../kube/index.js';
import { CREATED_AT_ANNOTATION } from '../../metrics/heartbeats.js';
import type { ActorFactory, ActorInstance } from '../actor.js';
import { InFlight, steadySchedule } from '../open-loop.js';
import { sendRecorded } from '../send.js';
import type { PodChurnActorGroup } from './schema.js';

/** The query of every deletion: at once, as no kubelet would confirm a graceful one. */
const DELETE_NOW = withQuery('', { gracePeriodSeconds: 0 });

export function podChurnSchedule(
  group: PodChurnActorGroup,
  instance: ActorInstance,
  durationMs: number,
): ScheduleSpec {
  return steadySchedule(group.rate, group.arrival, instance, durationMs);
}

/**
 * Pod churn: creates pods at an open-loop rate, each annotated with its intended create time
 * (`apfbench.dev/created-at`, epoch ms) for the scheduler's and the kubelets' latencies, and
 * deletes each one `lifetime` after it was created, with grace period 0 (no real kubelet would
 * confirm a graceful deletion). A deletion is due at a send tick; one that finds the in-flight
 * cap reached waits for the next tick. Pods left at the end go with the run's cleanup.
 */
export const createPodChurn: ActorFactory<PodChurnActorGroup> = (group, instance, ctx) => {
  const namespace = ctx.run.scenario.spec.namespace;
  const inFlight = new InFlight(ctx.collector, group.maxInFlight);
  const alive: { name: string; deleteAtMs: number }[] = [];
  let seq = 0;

  const create = (intendedMs: number) => {
    const name = `${group.name}-${instance.index}-${seq++}-${ctx.run.id.slice(-6)}`;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name },
        annotations: {
          [CREATED_AT_ANNOTATION]: String(
            Math.round(performance.timeOrigin + ctx.originMs + intendedMs),
          ),
        },
      },
      spec: {
        containers: [{ name: 'c', image: 'registry.invalid/pause' }],
        terminationGracePeriodSeconds: 0,
      },
    };
    return sendRecorded(ctx, {
      verb: 'create',
      resource: 'pods',
      intendedMs,
      retry: group.retry,
      attempt: () => ctx.client.create(resources.pods, pod, { discardBody: true }),
    }).then((res) => {
      if (res.status === 201) alive.push({ name, deleteAtMs: intendedMs + group.lifetime });
    });
  };

  const remove = (name: string, intendedMs: number) =>
    sendRecorded(ctx, {
      verb: 'delete',
      resource: 'pods',
      intendedMs,
      retry: group.retry,
      attempt: () =>
        ctx.client.request({
          method: 'DELETE',
          path: resourcePath(resources.pods, { namespace, name }) + DELETE_NOW,
          discardBody: true,
        }),
    });

  return {
    async run() {
      await dispatch({
        schedule: createSchedule(
          podChurnSchedule(group, instance, ctx.run.scenario.spec.duration),
          ctx.rng.fork('schedule'),
        ),
        clock: ctx.clock,
        originMs: ctx.originMs,
        deadlineMs: ctx.deadlineMs,
        signal: ctx.signal,
        onSend: (intendedMs, actualMs) => {
          // Deletions that fell due since the last tick (in creation order); one that finds
          // the cap reached stays queued for the next tick rather than being dropped.
          while (alive.length > 0 && alive[0]!.deleteAtMs <= actualMs && inFlight.hasRoom()) {
            const { name, deleteAtMs } = alive.shift()!;
            inFlight.start(deleteAtMs, actualMs, (due) => remove(name, due));
          }
          inFlight.start(intendedMs, actualMs, create);
        },
      });
      await inFlight.drained();
    },
  };
};

/** A create per scheduled pod and a delete per pod whose lifetime ends before `untilMs`. */
export function podChurnExpectedRequests(group: PodChurnActorGroup, untilMs: number): number {
  const creates = Math.max(0, untilMs);
  const deletes = Math.max(0, untilMs - group.lifetime);
  return (group.count * group.rate * (creates + deletes)) / 1000;
}
