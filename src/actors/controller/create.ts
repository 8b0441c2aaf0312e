import { whenAborted } from '../../errors.js';
import { resources } from '../../kube/index.js';
import { eachLimited } from '../../timing/each-limited.js';
import { createSchedule } from '../../timing/schedule.js';
import type { ControllerActorGroup } from './schema.js';
import type { ActorFactory } from '../actor.js';
import { runOpenLoop, steadySchedule } from '../open-loop.js';
import { controllerContext, type ControllerContext } from './context.js';
import { reconciler } from './reconcile.js';
import { ledgerWatch } from './watch.js';

const BARRIER_POLL_MS = 20;
const OBSERVER_POLL_MS = 100;

function controllerSchedule(
  group: ControllerActorGroup,
  writerIndex: number,
  writers: number,
  durationMs: number,
) {
  return steadySchedule(
    group.rate,
    group.arrival,
    { index: writerIndex, count: writers },
    durationMs,
  );
}

/** Waits until `ready()` or the clock passes `untilMs` (clock time) or `signal` aborts. */
async function waitFor(
  c: ControllerContext,
  ready: () => boolean,
  untilMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const { clock } = c.ctx;
  while (!ready() && !signal.aborted && clock.now() < untilMs) {
    await clock.sleepUntil(clock.now() + BARRIER_POLL_MS, signal);
  }
  return ready();
}

async function createObjects(c: ControllerContext, signal: AbortSignal): Promise<void> {
  const { ctx } = c;
  await eachLimited(c.names, 8, async (name) => {
    if (signal.aborted) return;
    await c.send('create', ctx.clock.now() - ctx.originMs, () =>
      ctx.client.create(resources.configmaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: c.namespace, labels: c.labels },
        data: { payload: c.payload },
      }),
    );
  });
}

/**
 * A controller instance: an informer on its object set's ConfigMaps, and (for writers) a
 * reconcile loop at an open-loop rate that updates a random object of the set from the cache
 * with its cached resourceVersion and retries 409s as `retry.RetryOnConflict` does (re-GET,
 * re-apply). Its writes go in the run's write ledger; its events are matched there to measure
 * watch latency and, at the end, lost events.
 *
 * Start-up: the set's first instance creates the set's objects; every instance then LISTs and
 * starts watching; writers wait until every watcher of the set has listed, so that every write
 * is one that every watcher of the set should receive as an event. Sends due meanwhile go out
 * late, with their lag recorded. Watches stay open `watchGrace` after the deadline.
 */
export const createController: ActorFactory<ControllerActorGroup> = (group, instance, ctx) => {
  const c = controllerContext(group, instance, ctx);
  const { ledger, barrier, place } = c;
  const watch = ledgerWatch(c);
  const reconcile = reconciler(c, watch.informer);

  return {
    async run() {
      const deadline = ctx.originMs + ctx.deadlineMs;
      const stopWatching = new AbortController();
      const abort = () => stopWatching.abort();
      const unlisten = whenAborted(ctx.signal, abort);
      const watchSignal = stopWatching.signal;
      const stopTimer = ctx.clock.sleepUntil(deadline + group.watchGrace, watchSignal).then(abort);

      if (place.creator) {
        await ctx.clock.sleepUntil(ctx.originMs, ctx.signal);
        await createObjects(c, ctx.signal);
        ledger.addCounter(barrier.created);
      } else {
        await waitFor(c, () => ledger.counter(barrier.created) > 0, deadline, ctx.signal);
      }
      const listed = await watch.informer.list(watchSignal);
      if (listed) ledger.addCounter(barrier.synced);
      const watching = listed ? watch.informer.watch(watchSignal) : Promise.resolve();
      const polling = (async () => {
        while (!watchSignal.aborted) {
          await ctx.clock.sleepUntil(ctx.clock.now() + OBSERVER_POLL_MS, watchSignal);
          watch.poll(false);
        }
      })();

      if (place.writer && listed) {
        const synced = await waitFor(
          c,
          () => ledger.counter(barrier.synced) >= place.setSize,
          deadline,
          ctx.signal,
        );
        if (synced) {
          const writers = Math.min(group.writersPerObject, place.setSize);
          await runOpenLoop(
            ctx,
            createSchedule(
              controllerSchedule(group, place.writerIndex, writers, ctx.run.scenario.spec.duration),
              ctx.rng.fork('schedule'),
            ),
            group.maxInFlight,
            reconcile,
          );
        }
      }
      await Promise.allSettled([watching, polling, stopTimer]);
      unlisten();
      watch.poll(true);
    },
  };
};
