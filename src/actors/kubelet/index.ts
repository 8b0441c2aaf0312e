/**
 * The kubelet actor: one simulated node. It registers its Node, renews its Lease in
 * kube-node-lease as the kubelet's lease controller does, reports Node status at the status
 * frequencies, and holds one watch on the pods bound to it, optionally reporting them Running.
 *
 * Its timing follows the kubelet (k8s.io/component-helpers/apimachinery/lease/controller.go,
 * pkg/kubelet/kubelet_node_status.go) with one deliberate difference: renew ticks are computed
 * from the node's start (open loop), not from the end of the previous sync, so a slow API server
 * cannot slow the heartbeats down and hide its own slowness.
 *
 * Its parts: registration.ts, lease.ts, status.ts and pods.ts, sharing a KubeletContext
 * (context.ts); the objects it writes are built in objects.ts, its waits in timing.ts.
 */
import { kubeletExpectedRequests } from './expected.js';
import { STOPPED, whenAborted } from '../../errors.js';
import {
  HeartbeatTracker,
  KubeletMetric,
  heartbeatThresholds,
  kubeletSections,
  kubeletSectionsSchema,
} from '../../metrics/heartbeats.js';
import { dispatch, type Schedule } from '../../timing/schedule.js';
import type { ActorDefinition, ActorFactory } from '../actor.js';
import { kubeletContext, type KubeletContext } from './context.js';
import { leaseSync } from './lease.js';
import { watchPods } from './pods.js';
import { register } from './registration.js';
import { kubeletSchema, type KubeletActorGroup } from './schema.js';
import { statusSync } from './status.js';

export type { KubeletActorGroup } from './schema.js';
import { jitteredSchedule, startOffsetMs } from './timing.js';

/**
 * Runs `tick` at each scheduled time, skipping ticks while the previous one (`running` at
 * first) still runs, as the kubelet's loops never overlap.
 */
async function every(
  k: KubeletContext,
  schedule: Schedule,
  tick: (intendedMs: number) => Promise<void>,
  running: Promise<void> | undefined,
  onSkip: () => void = () => {},
): Promise<void> {
  const { clock, originMs, deadlineMs } = k.ctx;
  let busy = running?.finally(() => (busy = undefined));
  await dispatch({
    schedule,
    clock,
    originMs,
    deadlineMs,
    signal: k.life.signal,
    onSend: (intendedMs) => {
      if (busy !== undefined) return onSkip();
      busy = tick(intendedMs).finally(() => (busy = undefined));
    },
  });
  await busy;
}

/** See the module comment. */
export const createKubelet: ActorFactory<KubeletActorGroup> = (group, instance, ctx) => {
  const k = kubeletContext(group, instance, ctx);
  const { clock, originMs } = ctx;
  const { rng } = k;
  return {
    async run() {
      const startMs = startOffsetMs(
        instance.index,
        instance.count,
        group.renewInterval,
        rng.next(),
      );
      const tracker = new HeartbeatTracker(
        ctx.collector,
        k.nodeName,
        heartbeatThresholds(group.renewInterval, group.leaseDuration),
        originMs + startMs,
      );
      const stop = () => k.life.abort(STOPPED);
      const unlisten = whenAborted(ctx.signal, stop);
      void clock.sleepUntil(originMs + ctx.deadlineMs, k.life.signal).then(stop);
      try {
        const node = (await k.sleepUntil(startMs)) ? await register(k, startMs) : undefined;
        if (node !== undefined) {
          // The lease controller and the status loop start with the kubelet: their first sync
          // runs once it registered, later ones on ticks counted from its start, so that a slow
          // registration does not shift them.
          const syncStatus = statusSync(k);
          const syncLease = leaseSync(k, node, tracker);
          const end = ctx.deadlineMs;
          const leaseTicks = jitteredSchedule(startMs, group.renewInterval, end, rng.fork('lease'));
          const statusTicks = jitteredSchedule(
            startMs,
            group.statusUpdateFrequency,
            end,
            rng.fork('status'),
          );
          leaseTicks.next();
          statusTicks.next();
          await Promise.all([
            every(k, leaseTicks, syncLease, syncLease(k.rel()), () =>
              ctx.collector.count(KubeletMetric.skipped),
            ),
            every(k, statusTicks, syncStatus, undefined),
            group.watchPods ? watchPods(k) : undefined,
          ]);
        }
      } finally {
        unlisten();
        stop();
        tracker.close(Math.min(clock.now(), originMs + ctx.deadlineMs));
      }
    },
  };
};

export const kubelet = {
  scenario: kubeletSchema,
  connection: 'per-actor',
  create: createKubelet,
  expectedRequests: kubeletExpectedRequests,
  resultSections: kubeletSectionsSchema,
  sections: kubeletSections,
  // The lease and status loops send one request at a time; pod status reports up to maxInFlight.
  connections: (g) => 2 + (g.podChurn ? g.maxInFlight : 0),
  heldConnections: (g) => (g.watchPods ? 1 : 0),
  // Its pod watch, when it holds one (watchPods).
  watches: (s) => (s.watch === undefined ? [] : [s.watch]),
  heartbeats: (s) => s.heartbeats,
  identityGroups: ['system:nodes'],
} satisfies ActorDefinition<KubeletActorGroup, typeof kubeletSectionsSchema>;
