import {
  jsonTemplate,
  resourcePath,
  withQuery,
  type KubeResponse,
  type Resource,
} from '../../kube/index.js';
import { dispatcherFor } from '../../timing/dispatcher.js';
import {
  createSchedule,
  dispatch,
  meanCount,
  spreadPhase,
  type Schedule,
  type ScheduleSpec,
} from '../../timing/schedule.js';
import type { ActorFactory, ActorInstance } from '../actor.js';
import { InFlight, runOpenLoop } from '../open-loop.js';
import { sendRecorded } from '../send.js';
import { fixtureNames, mixPicker, tenantBodies, tenantPatch } from '../tenant/create.js';
import type { ReplayActorGroup, ReplayMixEntry } from './schema.js';

/**
 * The open-loop plan of one instance: the recorded per-step rates as a step function (a zero-long
 * stage jumps to each step's rate, a step-long one holds it), evenly or as a Poisson process.
 */
export function replaySchedule(group: ReplayActorGroup, instance: ActorInstance): ScheduleSpec {
  const stages = group.rates.flatMap((target) => [
    { durationMs: 0, target },
    { durationMs: group.resolution, target },
  ]);
  const startRate = group.rates[0] ?? 0;
  return group.arrival === 'poisson'
    ? { kind: 'ramping-poisson', startRate, stages }
    : { kind: 'ramping', startRate, stages, phase: spreadPhase(instance.index, instance.count) };
}

/** Exact mode's schedule: the recorded offsets themselves. */
export function offsetSchedule(offsets: readonly number[]): Schedule {
  let k = 0;
  return { next: () => (k < offsets.length ? offsets[k++] : undefined) };
}

/** The requests of every instance with an intended time before `untilMs`. */
export function replayExpectedRequests(group: ReplayActorGroup, untilMs: number): number {
  if (group.mode === 'exact') return (group.offsets ?? []).filter((t) => t < untilMs).length;
  return group.count * meanCount(replaySchedule(group, { index: 0, count: group.count }), untilMs);
}

/** What the collector records a request under: the resource (with its subresource) or the URL. */
export const recordedResource = (e: ReplayMixEntry) =>
  e.resource === undefined
    ? (e.path ?? '')
    : e.subresource === undefined
      ? e.resource
      : `${e.resource}/${e.subresource}`;

/** A selector no object of a run carries: a replayed DELETE of a collection removes nothing. */
const NOTHING = 'apfbench.dev/replay-deletes=nothing';

const resourceOf = (e: ReplayMixEntry): Resource => ({
  group: e.group,
  version: e.version,
  plural: e.resource ?? '',
  kind: '',
  namespaced: e.namespaced,
});

/** The query of a LIST or WATCH as recorded: selectors, page size, resourceVersion semantics. */
export function readQuery(e: ReplayMixEntry): Record<string, string | number | undefined> {
  return {
    labelSelector: e.labelSelector,
    fieldSelector: e.fieldSelector,
    limit: e.verb === 'list' ? e.limit : undefined,
    // "any" is resourceVersion=0, served from the watch cache. A given version (notOlderThan,
    // exact) is one the recorded client had seen; the replay has none, and asks for the latest.
    resourceVersion: e.resourceVersion === 'any' ? '0' : undefined,
    ...(e.verb === 'watch'
      ? { watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: e.watchSeconds ?? 1 }
      : {}),
  };
}

/**
 * A replay instance: one recorded flow (a user with its groups) sending its recorded mix of
 * requests at the recorded per-step rates, open loop. Namespaced requests go to the scenario's
 * namespace; a named read, update or patch of a ConfigMap or Secret goes to one of the scenario's
 * fixtures (from-audit creates as many as the log named) or one the instance created; an update,
 * patch or delete with nothing to act on becomes a create (recorded as one). A WATCH is held for
 * its recorded mean duration. Bodies are the replay's own, of the recorded size.
 */
export const createReplay: ActorFactory<ReplayActorGroup> = (group, instance, ctx) => {
  const namespace = ctx.run.scenario.spec.namespace;
  const pick = mixPicker(group.mix, () => ctx.rng.next());
  const labels = { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name };
  const int = (n: number) => ctx.rng.int(n);
  const fixtures: Record<string, string[]> = {
    configmaps: fixtureNames(ctx.run.scenario, 'ConfigMap'),
    secrets: fixtureNames(ctx.run.scenario, 'Secret'),
  };
  /** Objects this instance created and has not deleted, by resource. */
  const own = new Map<string, string[]>();
  let seq = 0;
  const leaseBody = jsonTemplate((name) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, labels },
    spec: { holderIdentity: group.name, leaseDurationSeconds: 40 },
  }));
  const bodies = new Map(
    group.mix.map((e) => [
      e,
      e.resource === 'configmaps' || e.resource === 'secrets'
        ? tenantBodies(e.resource, e.size ?? 0, { namespace, labels }).create
        : leaseBody,
    ]),
  );

  const send = (
    e: ReplayMixEntry,
    verb: string,
    intendedMs: number,
    attempt: () => Promise<KubeResponse>,
  ) =>
    sendRecorded(ctx, {
      verb,
      resource: recordedResource(e),
      intendedMs,
      attempt,
      retry: group.retry,
    });

  const ownOf = (resource: string) => {
    let list = own.get(resource);
    if (list === undefined) own.set(resource, (list = []));
    return list;
  };
  const target = (e: ReplayMixEntry): string | undefined => {
    const mine = ownOf(e.resource ?? '');
    if (mine.length > 0) return mine[int(mine.length)];
    const shared = fixtures[e.resource ?? ''] ?? [];
    return shared.length > 0 ? shared[int(shared.length)] : undefined;
  };

  const where = (e: ReplayMixEntry, name?: string) => ({
    namespace: e.namespaced ? namespace : undefined,
    name,
    subresource: e.subresource,
  });

  const create = (e: ReplayMixEntry, intendedMs: number) => {
    const name = `${group.name}-${instance.index}-${seq++}`;
    return send(e, 'create', intendedMs, () =>
      ctx.client.createJson(resourceOf(e), bodies.get(e)!(name), { namespace, discardBody: true }),
    ).then((res) => {
      if (res.status === 201) ownOf(e.resource ?? '').push(name);
      return res;
    });
  };

  /** The request of each read entry that is the same every time, built once. */
  const reads = new Map(
    group.mix
      .filter((e) => e.verb === 'list' || e.verb === 'watch' || e.path !== undefined)
      .map((e) => {
        const path = e.path ?? withQuery(resourcePath(resourceOf(e), where(e)), readQuery(e));
        return [e, () => ctx.client.request({ method: 'GET', path, discardBody: true })];
      }),
  );

  const start = (e: ReplayMixEntry, intendedMs: number): Promise<KubeResponse> => {
    const read = reads.get(e);
    if (read !== undefined) return send(e, e.verb, intendedMs, read);
    const r = resourceOf(e);
    const { client } = ctx;
    switch (e.verb) {
      case 'get': {
        const name = target(e) ?? `${group.name}-${instance.index}-none`;
        return send(e, 'get', intendedMs, () =>
          client.get(r, { ...where(e), name }, { discardBody: true }),
        );
      }
      case 'create':
        return create(e, intendedMs);
      case 'update': {
        const name = target(e);
        if (name === undefined) return create(e, intendedMs);
        const body = bodies.get(e)!(name);
        return send(e, 'update', intendedMs, () =>
          client.updateJson(r, name, body, { namespace, discardBody: true }),
        );
      }
      case 'patch': {
        const name = target(e);
        if (name === undefined) return create(e, intendedMs);
        const patch = tenantPatch(String(seq++));
        return send(e, 'patch', intendedMs, () =>
          client.patch(r, name, patch, 'merge', { namespace, discardBody: true }),
        );
      }
      case 'delete': {
        const mine = ownOf(e.resource ?? '');
        if (mine.length === 0) return create(e, intendedMs);
        const name = mine.splice(int(mine.length), 1)[0]!;
        return send(e, 'delete', intendedMs, () =>
          client.delete(r, { namespace, name }, { discardBody: true }),
        );
      }
      case 'deletecollection': {
        const path = withQuery(resourcePath(r, where(e)), { labelSelector: NOTHING });
        return send(e, 'deletecollection', intendedMs, () =>
          client.request({ method: 'DELETE', path, discardBody: true }),
        );
      }
      case 'list':
      case 'watch':
        // Built in `reads` above; never reached.
        return send(e, e.verb, intendedMs, reads.get(e)!);
    }
  };

  /**
   * Exact mode: the k-th send is the k-th recorded request, on the open-loop engine as every
   * type's (a send due while the cap is reached is dropped, its lag recorded when it starts).
   */
  const runExact = async (offsets: readonly number[], entries: readonly number[]) => {
    const dispatcher = dispatcherFor(ctx.clock);
    const inFlight = new InFlight(ctx.collector, group.maxInFlight, () => dispatcher.poke());
    let k = 0;
    await dispatch({
      schedule: offsetSchedule(offsets),
      clock: ctx.clock,
      originMs: ctx.originMs,
      deadlineMs: ctx.deadlineMs,
      signal: ctx.signal,
      onSend: (intendedMs, actualMs) => {
        const entry = group.mix[entries[k++]!]!;
        inFlight.start(intendedMs, actualMs, (due) => start(entry, due));
      },
    });
    await inFlight.drained();
  };

  return {
    run: () =>
      group.mode === 'exact'
        ? runExact(group.offsets ?? [], group.entries ?? [])
        : runOpenLoop(
            ctx,
            createSchedule(replaySchedule(group, instance), ctx.rng.fork('schedule')),
            group.maxInFlight,
            (intendedMs) => start(pick(), intendedMs),
          ),
  };
};
