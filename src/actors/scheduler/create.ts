import { performance } from 'node:perf_hooks';
import { whenAborted } from '../../errors.js';
import { resourcePath, resources, type KubeObject } from '../../kube/index.js';
import { CREATED_AT_ANNOTATION } from '../../metrics/heartbeats.js';
import { createAccumulator, summarizeMs } from '../../metrics/histogram.js';
import type { ActorGroupBase, ScenarioOf } from '../../scenario/index.js';
import type { ActorFactory, GroupMeasurements } from '../actor.js';
import { Informer, WatchMetric } from '../informer.js';
import { kubeletNodes } from '../kubelet/schema.js';
import { LeastLoaded, roundRobin, type Placement } from '../placement.js';
import { sendRecorded } from '../send.js';
import type { SchedulerSection } from './result.js';
import type { SchedulerActorGroup } from './schema.js';

export const SchedulerMetric = {
  ...WatchMetric,
  /** Pods bound (201 on pods/binding). */
  bound: 'scheduler.bound',
  /** 409 on pods/binding: the pod was bound already. */
  bindConflicts: 'scheduler.bindConflicts',
  /** Other failed bindings. */
  bindErrors: 'scheduler.bindErrors',
  /** Binding acknowledged − the pod's intended create time (µs). */
  latency: 'scheduler.latency',
} as const;

/**
 * The nodes pods are bound to: every node of the scenario's kubelet groups, or, without any,
 * `nodes` names `node-00000`, `node-00001`, ... (the identities `cluster up` issues).
 */
export function schedulerNodes(
  scenario: ScenarioOf<ActorGroupBase>,
  group: SchedulerActorGroup,
): string[] {
  const fromKubelets = kubeletNodes(scenario);
  if (fromKubelets.length > 0) return fromKubelets;
  return Array.from({ length: group.nodes ?? 1 }, (_, i) => `node-${String(i).padStart(5, '0')}`);
}

/**
 * A scheduler: an informer on the run's pods that have no node yet, binding each one
 * (POST pods/<name>/binding) to a node picked round-robin or least-loaded (fewest pods this
 * scheduler bound to it), at most `maxInFlight` bindings at a time, oldest first. It stops at
 * the deadline; pods still waiting then stay unbound.
 */
export const createScheduler: ActorFactory<SchedulerActorGroup> = (group, _instance, ctx) => {
  const namespace = ctx.run.scenario.spec.namespace;
  const nodes = schedulerNodes(ctx.run.scenario, group);
  const placement: Placement =
    group.placement === 'round-robin' ? roundRobin(nodes) : new LeastLoaded(nodes);
  const queue = new Set<string>();
  const binding = new Set<string>();
  const done = new Set<string>();
  let stopped = false;
  const idle: (() => void)[] = [];

  const bind = async (name: string) => {
    // Read now: once bound, the pod leaves the informer's field selector (a DELETED event).
    const createdAt = Number(
      informer.cache.get(name)?.metadata.annotations?.[CREATED_AT_ANNOTATION],
    );
    const node = placement.take();
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    const res = await sendRecorded(ctx, {
      verb: 'create',
      resource: 'pods/binding',
      intendedMs: ctx.clock.now() - ctx.originMs,
      retry: group.retry,
      attempt: () =>
        ctx.client.request({
          method: 'POST',
          path: resourcePath(resources.pods, { namespace, name, subresource: 'binding' }),
          body: JSON.stringify(body),
          discardBody: true,
        }),
    });
    if (res.status === 201) {
      ctx.collector.count(SchedulerMetric.bound);
      if (Number.isFinite(createdAt)) {
        const ack = performance.timeOrigin + res.doneAt;
        ctx.collector.observe(SchedulerMetric.latency, Math.max(0, ack - createdAt) * 1000);
      }
      done.add(name);
    } else {
      placement.release(node);
      ctx.collector.count(
        res.status === 409 ? SchedulerMetric.bindConflicts : SchedulerMetric.bindErrors,
      );
      if (res.status === 409 || res.status === 404) done.add(name);
    }
  };

  const pump = () => {
    while (!stopped && binding.size < group.maxInFlight && queue.size > 0) {
      const name = queue.values().next().value as string;
      queue.delete(name);
      binding.add(name);
      void bind(name).finally(() => {
        binding.delete(name);
        pump();
        if (binding.size === 0) idle.splice(0).forEach((f) => f());
      });
    }
  };

  const consider = (pod: KubeObject | undefined) => {
    const name = pod?.metadata.name;
    if (name === undefined || done.has(name) || binding.has(name)) return;
    const spec = pod?.spec as { nodeName?: string } | undefined;
    if (
      (spec?.nodeName ?? '') !== '' ||
      (pod?.metadata as { deletionTimestamp?: string }).deletionTimestamp
    )
      return;
    queue.add(name);
  };

  const informer = new Informer(ctx, {
    resource: resources.pods,
    namespace,
    labelSelector: `${ctx.run.labelKey}=${ctx.run.id}`,
    fieldSelector: 'spec.nodeName=',
    pageSize: group.pageSize,
    watchTimeoutMs: 300_000,
    retry: group.retry,
    onEvent: (ev) => {
      if (ev.type === 'DELETED') {
        // A bound pod leaves the spec.nodeName= selector with this event and never comes back
        // unscheduled: `done` no longer needs it (it would otherwise grow for the whole run).
        const name = ev.object.metadata.name;
        if (name !== undefined) {
          queue.delete(name);
          done.delete(name);
        }
        return;
      }
      consider(ev.object);
      pump();
    },
  });

  return {
    async run() {
      const stop = new AbortController();
      const abort = () => stop.abort();
      const unlisten = whenAborted(ctx.signal, abort);
      const timer = ctx.clock.sleepUntil(ctx.originMs + ctx.deadlineMs, stop.signal).then(abort);
      if (await informer.list(stop.signal)) {
        for (const pod of informer.cache.values()) consider(pod);
        pump();
        await informer.watch(stop.signal);
      }
      stopped = true;
      await timer;
      unlisten();
      if (binding.size > 0) await new Promise<void>((resolve) => idle.push(resolve));
    },
  };
};

export function schedulerSections(m: GroupMeasurements): { scheduling: SchedulerSection } {
  const c = (k: string) => m.counters[k] ?? 0;
  const latency = m.measures[SchedulerMetric.latency];
  return {
    scheduling: {
      bound: c(SchedulerMetric.bound),
      bindConflicts: c(SchedulerMetric.bindConflicts),
      bindErrors: c(SchedulerMetric.bindErrors),
      latencyMs: latency?.summaryMs ?? summarizeMs(createAccumulator()),
      latencyHistogram: latency?.encoded ?? '',
      watch: {
        events: c(SchedulerMetric.events),
        restarts: c(SchedulerMetric.restarts),
        relists: c(SchedulerMetric.relists),
        failures: c(SchedulerMetric.failures),
      },
    },
  };
}
