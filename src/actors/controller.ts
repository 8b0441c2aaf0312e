import { performance } from 'node:perf_hooks';
import { eachLimited } from '../timing/each-limited.js';
import { createSchedule } from '../timing/schedule.js';
import { whenAborted } from '../errors.js';
import { resources, type KubeObject, type KubeResponse } from '../kube/index.js';
import {
  createAccumulator,
  decode,
  summarizeMs,
  type DurationSummary,
} from '../metrics/histogram.js';
import { LedgerObserver, WriteLedger } from '../metrics/write-ledger.js';
import type { ControllerActorGroup, Scenario } from '../scenario/index.js';
import type { ActorFactory } from './actor.js';
import { retryOnConflict, type AttemptOutcome } from './conflict-retry.js';
import type { GroupMeasurements } from './index.js';
import { Informer, WatchMetric } from './informer.js';
import { runOpenLoop, steadySchedule } from './open-loop.js';
import { sendRecorded } from './send.js';

/**
 * Counters and histograms of controller groups. A counter name with `/<set>` appended is the
 * same figure for one object set. Histograms are in µs, except `conflicts.retriesPerWrite`,
 * which holds retries + 1 (attempts) per successful write, because HDR histograms start at 1.
 */
export const ControllerMetric = {
  ...WatchMetric,
  /** Event received − the writer's acknowledgement of the write (µs). */
  latency: 'watch.latency',
  /** Event received − the write's intended time (µs). */
  latencyFromIntent: 'watch.latencyFromIntent',
  /** Events received before their writer had read its response (their latency is recorded as 0). */
  beforeAck: 'watch.beforeAck',
  /** MODIFIED events no apfbench writer recorded within the bound (see LedgerObserver). */
  unmatched: 'watch.unmatched',
  /** Filled in by the coordinator from the write ledger once the run is over. */
  lost: 'watch.lost',
  acknowledged: 'watch.acknowledged',
  expectedDeliveries: 'watch.expectedDeliveries',
  /** PUT attempts. */
  attempts: 'conflicts.attempts',
  count409: 'conflicts.409',
  writes: 'conflicts.writes',
  abandoned: 'conflicts.abandoned',
  /** Reconciles that ended on an error other than a conflict (429 after retries, 5xx, transport). */
  failed: 'conflicts.failed',
  retriesPerWrite: 'conflicts.retriesPerWrite',
  /** Reconcile start (intended) → written, abandoned or failed (µs). */
  reconcileLatency: 'reconcile.latency',
} as const;

/** Label with the controller group and object set of each object, for the informers' selector. */
export const GROUP_LABEL = 'apfbench.dev/group';
export const SET_LABEL = 'apfbench.dev/set';
const MS_PER_S = 1000;
const BARRIER_POLL_MS = 20;
const OBSERVER_POLL_MS = 100;

/** Where instance `index` of a controller group sits: its object set and its role there. */
export interface ControllerPlacement {
  readonly set: number;
  /** Instances in this set: the watchers every write in it should reach. */
  readonly setSize: number;
  readonly writer: boolean;
  /** The first instance of a set creates its objects. */
  readonly creator: boolean;
  /** Index of this instance among the writers of its set. */
  readonly writerIndex: number;
}

export function controllerPlacement(
  group: ControllerActorGroup,
  index: number,
): ControllerPlacement {
  const set = Math.floor(index / group.watchersPerSet);
  const position = index % group.watchersPerSet;
  return {
    set,
    setSize: Math.min(group.watchersPerSet, group.count - set * group.watchersPerSet),
    writer: position < group.writersPerObject,
    creator: position === 0,
    writerIndex: position,
  };
}

/** Object sets of a group. */
export function controllerSets(group: ControllerActorGroup): number {
  return Math.ceil(group.count / group.watchersPerSet);
}

/** Reconciles the group is expected to make: for sizing the write ledger. */
export function controllerExpectedWrites(group: ControllerActorGroup, durationMs: number): number {
  let writers = 0;
  for (let s = 0; s < controllerSets(group); s++) {
    writers += Math.min(
      group.writersPerObject,
      controllerPlacement(group, s * group.watchersPerSet).setSize,
    );
  }
  return (writers * group.rate * durationMs) / MS_PER_S;
}

/**
 * Shared counters of the write ledger used as barriers: two per actor instance of the scenario
 * (so always enough), `[created, synced]` per object set, groups in scenario order.
 */
export function ledgerCounterSlots(scenario: Scenario): number {
  return 2 * scenario.spec.actors.reduce((n, g) => n + g.count, 0);
}

function barrierSlots(scenario: Scenario, groupName: string, set: number) {
  let base = 0;
  for (const g of scenario.spec.actors) {
    if (g.name === groupName) break;
    base += 2 * g.count;
  }
  return { created: base + 2 * set, synced: base + 2 * set + 1 };
}

/** A short tag of the run for object names, so that a run never meets an earlier run's objects. */
function runTag(runId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

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
  const scenario = ctx.run.scenario;
  const namespace = scenario.spec.namespace;
  const place = controllerPlacement(group, instance.index);
  const tag = scenario.spec.actors.findIndex((g) => g.name === group.name);
  const ledger = ctx.ledger ?? WriteLedger.create(1024, ledgerCounterSlots(scenario));
  const observer = new LedgerObserver(ledger);
  const barrier = barrierSlots(scenario, group.name, place.set);
  const setLabel = String(place.set);
  const perSet = (metric: string) => `${metric}/${setLabel}`;
  const count = (metric: string, by = 1) => {
    ctx.collector.count(metric, by);
    ctx.collector.count(perSet(metric), by);
  };
  const names = Array.from(
    { length: group.objects },
    (_, k) => `${group.name}-${runTag(ctx.run.id)}-${place.set}-${k}`,
  );
  const labels = {
    [ctx.run.labelKey]: ctx.run.id,
    [GROUP_LABEL]: group.name,
    [SET_LABEL]: setLabel,
  };
  const epoch = (clockMs: number) => performance.timeOrigin + clockMs;
  const payload = 'x'.repeat(group.objectSize);
  let seq = 0;

  const recordMatch = (m: {
    receivedEpochMs: number;
    ackEpochMs: number;
    intendedEpochMs: number;
  }) => {
    const afterAck = m.receivedEpochMs - m.ackEpochMs;
    if (afterAck < 0) ctx.collector.count(ControllerMetric.beforeAck);
    ctx.collector.observe(ControllerMetric.latency, Math.max(0, afterAck) * 1000);
    ctx.collector.observe(
      ControllerMetric.latencyFromIntent,
      Math.max(0, m.receivedEpochMs - m.intendedEpochMs) * 1000,
    );
  };

  const informer = new Informer(ctx, {
    resource: resources.configmaps,
    namespace,
    labelSelector: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    pageSize: group.pageSize,
    watchTimeoutMs: group.watchTimeout,
    retry: group.retry,
    onEvent: (ev) => {
      // Only updates are recorded in the ledger: the objects' creation precedes every LIST.
      if (ev.type !== 'MODIFIED') return;
      const rv = ev.object.metadata.resourceVersion ?? '';
      const { matched, gaveUp } = observer.receive(rv, epoch(ev.receivedAt));
      if (matched !== undefined) recordMatch(matched);
      if (gaveUp > 0) ctx.collector.count(ControllerMetric.unmatched, gaveUp);
    },
  });

  const pollObserver = (final: boolean) => {
    if (observer.waiting === 0) return;
    const { matched, gaveUp } = observer.poll(epoch(ctx.clock.now()), final);
    for (const m of matched) recordMatch(m);
    if (gaveUp > 0) ctx.collector.count(ControllerMetric.unmatched, gaveUp);
  };

  const send = (
    verb: string,
    intendedMs: number,
    attempt: () => Promise<KubeResponse<KubeObject>>,
  ) =>
    sendRecorded(ctx, {
      verb,
      resource: 'configmaps',
      intendedMs,
      attempt,
      retry: group.retry,
    });

  /** Waits until `ready()` or the clock passes `untilMs` (clock time) or `signal` aborts. */
  const waitFor = async (ready: () => boolean, untilMs: number, signal: AbortSignal) => {
    while (!ready() && !signal.aborted && ctx.clock.now() < untilMs) {
      await ctx.clock.sleepUntil(ctx.clock.now() + BARRIER_POLL_MS, signal);
    }
    return ready();
  };

  const createObjects = async (signal: AbortSignal) => {
    await eachLimited(names, 8, async (name) => {
      if (signal.aborted) return;
      await send('create', ctx.clock.now() - ctx.originMs, () =>
        ctx.client.create(resources.configmaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace, labels },
          data: { payload },
        }),
      );
    });
  };

  /** One read-modify-write of one object, retried on 409 like RetryOnConflict. */
  const reconcile = async (intendedMs: number): Promise<void> => {
    const name = names[ctx.rng.int(names.length)]!;
    const intendedEpochMs = epoch(ctx.originMs + intendedMs);
    let current = informer.cache.get(name);
    const attempt = async (n: number): Promise<AttemptOutcome> => {
      const now = ctx.clock.now() - ctx.originMs;
      if (n > 1 || current === undefined) {
        const got = await send('get', n === 1 ? intendedMs : now, () =>
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
            'apfbench.dev/reconciled-by': `${group.name}-${instance.index}`,
            'apfbench.dev/seq': String(seq++),
          },
        },
        data: { payload },
      };
      const res = await send('update', n === 1 ? intendedMs : now, () =>
        ctx.client.update(resources.configmaps, next),
      );
      count(ControllerMetric.attempts);
      if (res.status === 200) {
        const rv = res.body?.metadata.resourceVersion ?? '';
        ledger.record(rv, epoch(res.doneAt), intendedEpochMs, place.setSize, tag);
        return 'written';
      }
      if (res.status === 409) {
        count(ControllerMetric.count409);
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
        count(ControllerMetric.writes);
        ctx.collector.observe(ControllerMetric.retriesPerWrite, result.attempts);
        ctx.collector.observe(perSet(ControllerMetric.retriesPerWrite), result.attempts);
        break;
      case 'abandoned':
        count(ControllerMetric.abandoned);
        break;
      case 'failed':
        count(ControllerMetric.failed);
        break;
    }
  };

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
        await createObjects(ctx.signal);
        ledger.addCounter(barrier.created);
      } else {
        await waitFor(() => ledger.counter(barrier.created) > 0, deadline, ctx.signal);
      }
      const listed = await informer.list(watchSignal);
      if (listed) ledger.addCounter(barrier.synced);
      const watching = listed ? informer.watch(watchSignal) : Promise.resolve();
      const polling = (async () => {
        while (!watchSignal.aborted) {
          await ctx.clock.sleepUntil(ctx.clock.now() + OBSERVER_POLL_MS, watchSignal);
          pollObserver(false);
        }
      })();

      if (place.writer && listed) {
        const synced = await waitFor(
          () => ledger.counter(barrier.synced) >= place.setSize,
          deadline,
          ctx.signal,
        );
        if (synced) {
          const writers = Math.min(group.writersPerObject, place.setSize);
          await runOpenLoop(
            ctx,
            createSchedule(
              controllerSchedule(group, place.writerIndex, writers, scenario.spec.duration),
              ctx.rng.fork('schedule'),
            ),
            group.maxInFlight,
            reconcile,
          );
        }
      }
      await Promise.allSettled([watching, polling, stopTimer]);
      unlisten();
      pollObserver(true);
    },
  };
};

export interface ControllerSections {
  readonly watch: {
    readonly events: number;
    readonly bookmarks: number;
    readonly restarts: number;
    readonly relists: number;
    readonly failures: number;
    /** Acknowledged writes with watchers that never received their event (Σ missing deliveries). */
    readonly lost: number;
    readonly acknowledgedWrites: number;
    readonly expectedDeliveries: number;
    /** MODIFIED events that matched no recorded write. */
    readonly unmatched: number;
    /** Events that arrived before their writer had read the response (latency counted as 0). */
    readonly beforeAck: number;
    readonly latencyMs: DurationSummary;
    readonly latencyFromIntentMs: DurationSummary;
    /** Encoded µs histogram of latencyMs (the report's WatchSection field). */
    readonly latencyHistogram: string;
    readonly histograms: { readonly latency: string; readonly latencyFromIntent: string };
  };
  readonly conflicts: ConflictFigures & {
    /** Reconciles that ended on another error. */
    readonly failed: number;
    readonly reconcileLatencyMs: DurationSummary;
    readonly bySet: Readonly<Record<string, ConflictFigures>>;
  };
}

export interface ConflictFigures {
  readonly count409: number;
  /** PUT attempts. */
  readonly attempts: number;
  /** 409s ÷ PUT attempts. */
  readonly rate: number;
  /** Successful writes. */
  readonly writes: number;
  /** Reconciles given up after the last conflict retry. */
  readonly abandoned: number;
  /** Retries per successful write (from a histogram of retries + 1). */
  readonly retriesPerWrite: RetriesSummary;
}

export interface RetriesSummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** A histogram of retries + 1 (µs slots used as plain counts), as retries. */
export function retriesSummary(encoded: string | undefined): RetriesSummary {
  if (encoded === undefined || encoded === '') {
    return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  }
  const { hdr } = decode(encoded);
  const at = (p: number) => hdr.getValueAtPercentile(p) - 1;
  return {
    count: hdr.totalCount,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: hdr.maxValue - 1,
    mean: Math.round((hdr.mean - 1) * 1000) / 1000,
  };
}

/** The `watch` and `conflicts` sections of a controller group's result. */
export function controllerSections(m: GroupMeasurements): ControllerSections {
  const c = (metric: string) => m.counters[metric] ?? 0;
  const empty = summarizeMs(createAccumulator());
  const measure = (metric: string) => m.measures[metric];
  const figures = (suffix: string): ConflictFigures => {
    const attempts = c(ControllerMetric.attempts + suffix);
    const count409 = c(ControllerMetric.count409 + suffix);
    return {
      count409,
      attempts,
      rate: attempts === 0 ? 0 : Math.round((count409 / attempts) * 1e4) / 1e4,
      writes: c(ControllerMetric.writes + suffix),
      abandoned: c(ControllerMetric.abandoned + suffix),
      retriesPerWrite: retriesSummary(measure(ControllerMetric.retriesPerWrite + suffix)?.encoded),
    };
  };
  const sets = new Set<string>();
  for (const key of Object.keys(m.counters)) {
    const prefix = `${ControllerMetric.attempts}/`;
    if (key.startsWith(prefix)) sets.add(key.slice(prefix.length));
  }
  const latency = measure(ControllerMetric.latency);
  const fromIntent = measure(ControllerMetric.latencyFromIntent);
  return {
    watch: {
      events: c(ControllerMetric.events),
      bookmarks: c(ControllerMetric.bookmarks),
      restarts: c(ControllerMetric.restarts),
      relists: c(ControllerMetric.relists),
      failures: c(ControllerMetric.failures),
      lost: c(ControllerMetric.lost),
      acknowledgedWrites: c(ControllerMetric.acknowledged),
      expectedDeliveries: c(ControllerMetric.expectedDeliveries),
      unmatched: c(ControllerMetric.unmatched),
      beforeAck: c(ControllerMetric.beforeAck),
      latencyMs: latency?.summaryMs ?? empty,
      latencyFromIntentMs: fromIntent?.summaryMs ?? empty,
      latencyHistogram: latency?.encoded ?? '',
      histograms: { latency: latency?.encoded ?? '', latencyFromIntent: fromIntent?.encoded ?? '' },
    },
    conflicts: {
      ...figures(''),
      failed: c(ControllerMetric.failed),
      reconcileLatencyMs: measure(ControllerMetric.reconcileLatency)?.summaryMs ?? empty,
      bySet: Object.fromEntries(
        [...sets].sort((a, b) => Number(a) - Number(b)).map((s) => [s, figures(`/${s}`)]),
      ),
    },
  };
}
