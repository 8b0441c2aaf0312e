import { resources, type KubeObject } from '../../kube/index.js';
import { retryOnConflict, type AttemptOutcome } from '../conflict-retry.js';
import type { Informer } from '../informer.js';
import { epochOf, type ControllerContext } from './context.js';
import { ControllerMetric } from './metrics.js';

/**
 * The reconcile of a writer: one read-modify-write of a random object of its set, from the
 * informer's cache with its cached resourceVersion, retried on 409 like RetryOnConflict (re-GET,
 * re-apply). Each acknowledged write goes in the ledger, for the watchers to match.
 */
export function reconciler(
  c: ControllerContext,
  informer: Informer,
): (intendedMs: number) => Promise<void> {
  const { ctx, group, namespace, names, payload } = c;
  let seq = 0;
  return async (intendedMs) => {
    const name = names[ctx.rng.int(names.length)]!;
    const intendedEpochMs = epochOf(ctx.originMs + intendedMs);
    let current = informer.cache.get(name);
    const attempt = async (n: number): Promise<AttemptOutcome> => {
      const now = ctx.clock.now() - ctx.originMs;
      if (n > 1 || current === undefined) {
        const got = await c.send('get', n === 1 ? intendedMs : now, () =>
          ctx.client.get(resources.configmaps, { namespace, name }),
        );
        if (got.status !== 200 || got.body === undefined) return 'failed';
        current = got.body;
      }
      const next: KubeObject = {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: {
            ...current.metadata.annotations,
            'apfbench.dev/reconciled-by': `${group.name}-${c.instance.index}`,
            'apfbench.dev/seq': String(seq++),
          },
        },
        data: { payload },
      };
      const res = await c.send('update', n === 1 ? intendedMs : now, () =>
        ctx.client.update(resources.configmaps, next),
      );
      c.count(ControllerMetric.attempts);
      if (res.status === 200) {
        const rv = res.body?.metadata.resourceVersion ?? '';
        c.ledger.record(
          rv,
          epochOf(res.doneAt),
          intendedEpochMs,
          c.place.setSize,
          c.tag,
          c.place.set,
        );
        return 'written';
      }
      if (res.status === 409) {
        c.count(ControllerMetric.count409);
        return 'conflict';
      }
      return 'failed';
    };
    const result = await retryOnConflict(attempt, {
      backoff: {
        steps: group.conflictRetry.steps,
        durationMs: group.conflictRetry.duration,
        factor: group.conflictRetry.factor,
        jitter: group.conflictRetry.jitter,
      },
      clock: ctx.clock,
      rng: ctx.rng,
      signal: ctx.signal,
    });
    ctx.collector.observe(
      ControllerMetric.reconcileLatency,
      (ctx.clock.now() - ctx.originMs - intendedMs) * 1000,
    );
    switch (result.outcome) {
      case 'written':
        c.count(ControllerMetric.writes);
        ctx.collector.observe(ControllerMetric.retriesPerWrite, result.attempts);
        ctx.collector.observe(c.perSet(ControllerMetric.retriesPerWrite), result.attempts);
        break;
      case 'abandoned':
        c.count(ControllerMetric.abandoned);
        break;
      case 'failed':
        c.count(ControllerMetric.failed);
        break;
    }
  };
}
