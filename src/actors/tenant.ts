import { createSchedule, spreadPhase, type ScheduleSpec } from '../engine/schedule.js';
import { resources, type KubeObject, type KubeResponse } from '../kube/index.js';
import type { MixEntry, Scenario, TenantActorGroup } from '../scenario/index.js';
import type { ActorFactory, ActorInstance } from './actor.js';
import { runOpenLoop, steadySchedule } from './open-loop.js';
import { sendRecorded } from './send.js';

/** Objects one tenant instance keeps track of for update/patch/delete. */
const MAX_TRACKED = 1000;

/** The open-loop plan of one instance, from the group's rate or stages. */
export function tenantSchedule(
  group: TenantActorGroup,
  instance: ActorInstance,
  durationMs: number,
): ScheduleSpec {
  if ('stages' in group) {
    const stages = group.stages.map((s) => ({ durationMs: s.duration, target: s.target }));
    return group.arrival === 'poisson'
      ? { kind: 'ramping-poisson', startRate: group.startRate, stages }
      : {
          kind: 'ramping',
          startRate: group.startRate,
          stages,
          phase: spreadPhase(instance.index, instance.count),
        };
  }
  return steadySchedule(group.rate, group.arrival, instance, durationMs);
}

/** Picks mix entries by weight with the instance's random stream. */
export function mixPicker(mix: readonly MixEntry[], next: () => number): () => MixEntry {
  const total = mix.reduce((s, e) => s + e.weight, 0);
  let acc = 0;
  const cumulative = mix.map((e) => (acc += e.weight / total));
  const last = mix[mix.length - 1]!;
  return () => {
    const x = next();
    for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]!) return mix[i]!;
    return last;
  };
}

/** Names of the fixture objects of a kind, which tenants read when they have nothing of their own. */
export function fixtureNames(scenario: Scenario, kind: 'ConfigMap' | 'Secret'): string[] {
  return scenario.spec.fixtures
    .filter((f) => f.kind === kind && f.namespace === scenario.spec.namespace)
    .flatMap((f) => Array.from({ length: f.count }, (_, k) => `${f.namePrefix}-${k}`));
}

/**
 * A tenant: one user sending an open-loop mix of verbs on ConfigMaps and
 * Secrets in the scenario's namespace. GET and PATCH pick an object it created
 * or, when it has none yet, a fixture; UPDATE and DELETE act only on its own
 * objects, and when it has none the send becomes a CREATE (recorded as one).
 * LIST is one request: with `limit`, its first page.
 */
export const createTenant: ActorFactory<TenantActorGroup> = (group, instance, ctx) => {
  const namespace = ctx.run.scenario.spec.namespace;
  const pick = mixPicker(group.mix, () => ctx.rng.next());
  const own = { configmaps: [] as KubeObject[], secrets: [] as KubeObject[] };
  const fixtures = {
    configmaps: fixtureNames(ctx.run.scenario, 'ConfigMap'),
    secrets: fixtureNames(ctx.run.scenario, 'Secret'),
  };
  let seq = 0;

  const target = (
    resource: 'configmaps' | 'secrets',
    allowFixture: boolean,
  ): string | undefined => {
    const mine = own[resource];
    if (mine.length > 0) return mine[ctx.rng.int(mine.length)]!.metadata.name;
    const shared = fixtures[resource];
    return allowFixture && shared.length > 0 ? shared[ctx.rng.int(shared.length)] : undefined;
  };

  const newObject = (resource: 'configmaps' | 'secrets', size: number | undefined): KubeObject => {
    const name = `${group.name}-${instance.index}-${seq++}`;
    const payload = 'x'.repeat(size ?? 0);
    return {
      apiVersion: 'v1',
      kind: resource === 'configmaps' ? 'ConfigMap' : 'Secret',
      metadata: {
        name,
        namespace,
        labels: { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name },
      },
      ...(resource === 'configmaps'
        ? { data: { payload } }
        : { data: { payload: Buffer.from(payload).toString('base64') } }),
    };
  };

  const remember = (resource: 'configmaps' | 'secrets', obj: KubeObject | undefined) => {
    if (obj?.metadata.name === undefined) return;
    const list = own[resource];
    const i = list.findIndex((o) => o.metadata.name === obj.metadata.name);
    if (i >= 0) list[i] = obj;
    else {
      list.push(obj);
      if (list.length > MAX_TRACKED) list.shift();
    }
  };
  const forget = (resource: 'configmaps' | 'secrets', name: string) => {
    own[resource] = own[resource].filter((o) => o.metadata.name !== name);
  };

  const send = (
    verb: string,
    resource: 'configmaps' | 'secrets',
    intendedMs: number,
    attempt: () => Promise<KubeResponse>,
  ) => sendRecorded(ctx, { verb, resource, intendedMs, attempt, retry: group.retry });

  const create = (entry: MixEntry, intendedMs: number) => {
    const obj = newObject(entry.resource, entry.size);
    return send('create', entry.resource, intendedMs, () =>
      ctx.client.create(resources[entry.resource], obj),
    ).then((res) => {
      if (res.status === 201) remember(entry.resource, res.body as KubeObject);
      return res;
    });
  };

  /**
   * One attempt function per object read, kept: a GET goes to the same few names again and
   * again, so its path, request and closure are built once, not per request. Bounded: cleared
   * when it grows past what the tenant can track.
   */
  const gets: Record<'configmaps' | 'secrets', Map<string, () => Promise<KubeResponse>>> = {
    configmaps: new Map(),
    secrets: new Map(),
  };
  const getAttempt = (resource: 'configmaps' | 'secrets', name: string) => {
    const cache = gets[resource];
    let attempt = cache.get(name);
    if (attempt === undefined) {
      if (cache.size >= 2 * MAX_TRACKED + fixtures[resource].length) cache.clear();
      const spec = ctx.client.getSpec(
        resources[resource],
        { namespace, name },
        { discardBody: true },
      );
      attempt = () => ctx.client.send(spec);
      cache.set(name, attempt);
    }
    return attempt;
  };

  /** Starts one logical request for a mix entry; returns its promise. */
  const start = (entry: MixEntry, intendedMs: number): Promise<KubeResponse> => {
    const r = resources[entry.resource];
    const { client } = ctx;
    switch (entry.verb) {
      case 'get': {
        const name = target(entry.resource, true) ?? 'apfbench-none';
        return send('get', entry.resource, intendedMs, getAttempt(entry.resource, name));
      }
      case 'list':
        return send('list', entry.resource, intendedMs, () =>
          client.list(r, {
            namespace,
            limit: entry.limit,
            labelSelector: entry.labelSelector,
            discardBody: true,
          }),
        );
      case 'create':
        return create(entry, intendedMs);
      case 'update': {
        const mine = own[entry.resource];
        if (mine.length === 0) return create(entry, intendedMs);
        const current = mine[ctx.rng.int(mine.length)]!;
        const next = { ...current, data: newObject(entry.resource, entry.size).data };
        return send('update', entry.resource, intendedMs, () => client.update(r, next)).then(
          (res) => {
            if (res.status === 200) remember(entry.resource, res.body as KubeObject);
            return res;
          },
        );
      }
      case 'patch': {
        const name = target(entry.resource, true);
        if (name === undefined) return create(entry, intendedMs);
        const patch = { metadata: { annotations: { 'apfbench.dev/patched': String(seq++) } } };
        // Keep the patched object when it is ours, so that a later update carries its new resourceVersion.
        return send('patch', entry.resource, intendedMs, () =>
          client.patch(r, name, patch, 'merge', { namespace }),
        ).then((res) => {
          if (res.status === 200 && own[entry.resource].some((o) => o.metadata.name === name)) {
            remember(entry.resource, res.body as KubeObject);
          }
          return res;
        });
      }
      case 'delete': {
        const name = target(entry.resource, false);
        if (name === undefined) return create(entry, intendedMs);
        forget(entry.resource, name);
        return send('delete', entry.resource, intendedMs, () =>
          client.delete(r, { namespace, name }, { discardBody: true }),
        );
      }
    }
  };

  const startNext = (intendedMs: number) => start(pick(), intendedMs);

  return {
    run: () =>
      runOpenLoop(
        ctx,
        createSchedule(
          tenantSchedule(group, instance, ctx.run.scenario.spec.duration),
          ctx.rng.fork('schedule'),
        ),
        group.maxInFlight,
        startNext,
      ),
  };
};
