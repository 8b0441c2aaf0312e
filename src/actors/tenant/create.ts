import {
  createSchedule,
  meanCount,
  spreadPhase,
  type ScheduleSpec,
} from '../../timing/schedule.js';
import { jsonTemplate, resources, type KubeObject, type KubeResponse } from '../../kube/index.js';
import type { ActorGroupBase, ScenarioOf } from '../../scenario/index.js';
import type { ActorFactory, ActorInstance } from '../actor.js';
import { runOpenLoop, steadySchedule } from '../open-loop.js';
import { sendRecorded } from '../send.js';
import { Tracked } from '../tracked.js';
import type { MixEntry, TenantActorGroup } from './schema.js';

/** Objects one tenant instance keeps track of for update/patch/delete. */
const MAX_TRACKED = 1000;

type TenantResource = 'configmaps' | 'secrets';

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

/** Picks mix entries by weight with the instance's random stream (a replay's mix too). */
export function mixPicker<E extends { readonly weight: number }>(
  mix: readonly E[],
  next: () => number,
): () => E {
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
export function fixtureNames(
  scenario: ScenarioOf<ActorGroupBase>,
  kind: 'ConfigMap' | 'Secret',
): string[] {
  return scenario.spec.fixtures
    .filter((f) => f.kind === kind && f.namespace === scenario.spec.namespace)
    .flatMap((f) => Array.from({ length: f.count }, (_, k) => `${f.namePrefix}-${k}`));
}

/** The JSON bodies a tenant writes for one resource and payload size. */
export interface TenantBodies {
  /** A new object named `name`: the run's labels and a `data.payload` of the size. */
  create(name: string): string;
  /** `current`, as the server returned it, with its payload written again (a PUT). */
  update(current: KubeObject): string;
}

/**
 * Built once per resource and size: the payload is the same in every write, so a create is a
 * template with only the name to fill in, and an update serializes the server's object around
 * the one payload object.
 */
export function tenantBodies(
  resource: TenantResource,
  size: number,
  meta: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> },
): TenantBodies {
  const payload = 'x'.repeat(size);
  const data = {
    payload: resource === 'configmaps' ? payload : Buffer.from(payload).toString('base64'),
  };
  const create = jsonTemplate((name) => ({
    apiVersion: 'v1',
    kind: resource === 'configmaps' ? 'ConfigMap' : 'Secret',
    metadata: { name, namespace: meta.namespace, labels: meta.labels },
    data,
  }));
  return { create, update: (current) => JSON.stringify({ ...current, data }) };
}

/** The merge patch of a tenant's PATCH, with its sequence number as the annotation's value. */
export const tenantPatch = jsonTemplate((seq) => ({
  metadata: { annotations: { 'apfbench.dev/patched': seq } },
}));

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
  const own = {
    configmaps: new Tracked<KubeObject>(MAX_TRACKED),
    secrets: new Tracked<KubeObject>(MAX_TRACKED),
  };
  const labels = { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name };
  const bodies = new Map(
    group.mix.map((e) => [e, tenantBodies(e.resource, e.size ?? 0, { namespace, labels })]),
  );
  const int = (n: number) => ctx.rng.int(n);
  const fixtures = {
    configmaps: fixtureNames(ctx.run.scenario, 'ConfigMap'),
    secrets: fixtureNames(ctx.run.scenario, 'Secret'),
  };
  let seq = 0;

  const target = (resource: TenantResource, allowFixture: boolean): string | undefined => {
    const mine = own[resource].pick(int);
    if (mine !== undefined) return mine.metadata.name;
    const shared = fixtures[resource];
    return allowFixture && shared.length > 0 ? shared[int(shared.length)] : undefined;
  };

  const remember = (resource: TenantResource, obj: KubeObject | undefined) => {
    const name = obj?.metadata.name;
    if (name !== undefined) own[resource].set(name, obj!);
  };

  const send = (
    verb: string,
    resource: TenantResource,
    intendedMs: number,
    attempt: () => Promise<KubeResponse>,
  ) => sendRecorded(ctx, { verb, resource, intendedMs, attempt, retry: group.retry });

  const create = (entry: MixEntry, intendedMs: number) => {
    const body = bodies.get(entry)!.create(`${group.name}-${instance.index}-${seq++}`);
    return send('create', entry.resource, intendedMs, () =>
      ctx.client.createJson(resources[entry.resource], body, { namespace }),
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
  const gets: Record<TenantResource, Map<string, () => Promise<KubeResponse>>> = {
    configmaps: new Map(),
    secrets: new Map(),
  };
  const getAttempt = (resource: TenantResource, name: string) => {
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

  /** The attempt of each LIST entry, built once: the same request every time. */
  const lists = new Map(
    group.mix
      .filter((e) => e.verb === 'list')
      .map((e) => {
        const spec = ctx.client.listSpec(resources[e.resource], {
          namespace,
          limit: e.limit,
          labelSelector: e.labelSelector,
          discardBody: true,
        });
        return [e, () => ctx.client.send(spec)];
      }),
  );

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
        return send('list', entry.resource, intendedMs, lists.get(entry)!);
      case 'create':
        return create(entry, intendedMs);
      case 'update': {
        const current = own[entry.resource].pick(int);
        if (current === undefined) return create(entry, intendedMs);
        // An update takes a sequence number too, as it always has: names stay those of a seed.
        seq++;
        const body = bodies.get(entry)!.update(current);
        const { name, namespace: ns } = current.metadata;
        return send('update', entry.resource, intendedMs, () =>
          client.updateJson(r, name!, body, { namespace: ns }),
        ).then((res) => {
          // Not when a delete sent meanwhile forgot it: that would bring a deleted object back
          // for later GETs and deletes to find 404.
          if (res.status === 200 && own[entry.resource].has(name!)) {
            remember(entry.resource, res.body as KubeObject);
          }
          return res;
        });
      }
      case 'patch': {
        const name = target(entry.resource, true);
        if (name === undefined) return create(entry, intendedMs);
        const patch = tenantPatch(String(seq++));
        // Keep the patched object when it is ours, so that a later update carries its new resourceVersion.
        return send('patch', entry.resource, intendedMs, () =>
          client.patch(r, name, patch, 'merge', { namespace }),
        ).then((res) => {
          if (res.status === 200 && own[entry.resource].has(name)) {
            remember(entry.resource, res.body as KubeObject);
          }
          return res;
        });
      }
      case 'delete': {
        const name = target(entry.resource, false);
        if (name === undefined) return create(entry, intendedMs);
        own[entry.resource].delete(name);
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

/** Every instance's rate or ramp; the phase that spreads them does not change the mean. */
export function tenantExpectedRequests(group: TenantActorGroup, untilMs: number): number {
  const schedule = tenantSchedule(group, { index: 0, count: group.count }, untilMs);
  return group.count * meanCount(schedule, untilMs);
}
