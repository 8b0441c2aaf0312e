import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { RUN_LABEL, definitionOf, ledgerCounterSlots } from '../actors/index.js';
import { bootstrapLoadIdentities } from '../cluster/bootstrap.js';
import { whenAborted } from '../errors.js';
import {
  clientConnections,
  FlowControlNames,
  type KubeClient,
  type KubeTarget,
  type PoolCount,
} from '../kube/index.js';
import { capInput, judgeRun, type GeneratorHealth } from '../metrics/generator-health.js';
import { TimelineAggregator, type ProgressResponses } from '../metrics/timeline-aggregator.js';
import { DEFAULT_INTERVAL_MS } from '../metrics/timeline-snapshot.js';
import {
  RESULT_SCHEMA_VERSION,
  type RunProfile,
  type RunResult,
  type RunStatus,
} from '../result/result.js';
import { describeUnreachable, targetHealth } from '../metrics/target-health.js';
import { WriteLedger, ledgerCapacityFor, type LedgerScan } from '../metrics/write-ledger.js';
import type { Scenario } from '../scenario/index.js';
import { toolVersion } from '../version.js';
import type { AnyMeasurement } from './measurement.js';
import { fairnessMeasurement, serverMeasurement, type ServerSideOptions } from './server-side.js';
import {
  createFixtures,
  deleteRunObjects,
  ensureNamespaces,
  scenarioNamespaces,
} from './fixtures.js';
import { groupResult } from '../result/group-result.js';
import { expandIdentity } from '../scenario/identity.js';
import type { IdentityResolver } from './identities.js';
import { planRun, workerCount, type PlacedInstance } from './plan.js';
import type { FromWorker, InstanceAssignment, ToWorker } from './protocol.js';

/** Where a run goes: the API server, the admin client for setup, and how load identities authenticate. */
export interface RunTarget {
  readonly target: KubeTarget;
  /** system:masters; only for setup, fixtures, metrics and cleanup, never for load. */
  readonly admin: KubeClient;
  readonly identities: IdentityResolver;
  readonly serverVersion: string;
  readonly local: boolean;
}

/** Live figures, once per interval, for progress output. */
export interface Progress {
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly sent: number;
  readonly completed: number;
  readonly errors: number;
  readonly throttled: number;
  readonly dropped: number;
  /** Completions per second over the last interval. */
  readonly rps: number;
  /** Latency p99 so far, ms. */
  readonly p99Ms: number;
  /** Each actor group's type and responses so far (every attempt), by code and by key. */
  readonly groups: readonly (ProgressResponses & { readonly type: string })[];
}

export interface RunOptions extends ServerSideOptions {
  /** Recorded in the result as the profile the run was made under (applied by the caller). */
  readonly profile?: RunProfile;
  /** Abort = Ctrl-C: stop sending, drain, clean up, return an "aborted" result. */
  readonly signal?: AbortSignal;
  readonly workers?: number | undefined;
  readonly intervalMs?: number;
  /** How long in-flight requests may take after the deadline or a stop. */
  readonly drainMs?: number;
  readonly onProgress?: (p: Progress) => void;
  /**
   * Called once, at the start barrier, with the wall-clock instant (ms since the epoch) that the
   * timeline's t = 0 stands for. Anything timed against the load (a fault, say) counts from here,
   * not from the call: set-up takes longer on a busy machine.
   */
  readonly onStart?: (startEpochMs: number) => void;
  /** Set-up and tear-down steps, as lines. */
  readonly onPhase?: (line: string) => void;
}

/** The plan's placement of one worker's instances, with the identity each one sends as. */
function withIdentities(
  scenario: Scenario,
  instances: readonly PlacedInstance[],
  identities: IdentityResolver,
): InstanceAssignment[] {
  const groups = new Map(scenario.spec.actors.map((g) => [g.name, g]));
  return instances.map((instance) => {
    const group = groups.get(instance.group)!;
    const identity = identities.resolve(
      expandIdentity(group.identity, instance.index),
      definitionOf(group).identityGroups,
    );
    return { ...instance, identity };
  });
}

/** A run id that is also a valid label value: `<scenario>-<yyyymmddhhmmss>`. */
export function newRunId(scenario: Scenario, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${scenario.metadata.name.slice(0, 40)}-${stamp}`;
}

/**
 * The compiled worker, or, when the engine itself runs from TypeScript sources
 * (vitest, tsx), a bootstrap that registers tsx in the new thread first.
 */
function spawnWorker(): Worker {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith('.ts')) return new Worker(new URL('./worker.js', self));
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = new URL('./worker.ts', self).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`,
    { eval: true },
  );
}

/**
 * Runs a scenario: creates fixtures, starts the workers together, merges what
 * they report, and cleans up, also after an abort or a failure. It returns a
 * result in every case but a set-up failure, which it throws.
 */
export async function runScenario(
  scenario: Scenario,
  run: RunTarget,
  opts: RunOptions = {},
): Promise<RunResult> {
  const say = opts.onPhase ?? (() => {});
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const drainMs = opts.drainMs ?? 10_000;
  const runId = newRunId(scenario);
  const label = { [RUN_LABEL]: runId };
  const { admin } = run;

  await ensureNamespaces(admin, scenarioNamespaces(scenario));
  await bootstrapLoadIdentities(admin);
  const names = await new FlowControlNames().refresh(admin);
  const plan = planRun(scenario, workerCount(scenario, opts.workers));
  const ledger = createRunLedger(scenario, plan.writes);
  let status: RunStatus;
  let window: MeasuredWindow | undefined;
  let reason: string | undefined;
  const startedAt = new Date();
  const timeline = new TimelineAggregator(intervalMs);
  const measured = new TimelineAggregator(intervalMs);
  const health: GeneratorHealth[] = [];
  let abandoned = 0;
  let connections: PoolCount[] = [];
  let workersStarted = 0;
  // In this order: fairness reads the server section.
  const measurements: readonly AnyMeasurement[] = [
    serverMeasurement(opts),
    fairnessMeasurement(opts),
  ];
  try {
    await createFixtures(admin, scenario, label, {
      onProgress: say,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    if (opts.signal?.aborted === true) throw new Interrupted();
    for (const m of measurements) await m.start({ admin });
    const shards = plan.workers.map((w) => withIdentities(scenario, w.instances, run.identities));
    workersStarted = shards.length;
    say(
      `run ${runId}: ${shards.reduce((n, s) => n + s.length, 0)} actor instances on ${workersStarted} worker thread(s)`,
    );
    const outcome = await driveWorkers(shards, {
      init: (workerIndex, instances) => ({
        type: 'init',
        workerIndex,
        runId,
        labelKey: RUN_LABEL,
        scenario,
        target: run.target,
        names: names.toJSON(),
        instances,
        connections: plan.workers[workerIndex]?.connections ?? 1,
        intervalMs,
        drainMs,
        ledger: ledger.shared,
        serverVersion: run.serverVersion,
      }),
      durationMs: scenario.spec.duration,
      warmupIntervals: Math.ceil(scenario.spec.warmup / intervalMs),
      intervalMs,
      drainMs,
      timeline,
      measured,
      types: new Map(scenario.spec.actors.map((g) => [g.name, g.type])),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      ...(opts.onStart === undefined ? {} : { onStart: opts.onStart }),
    });
    health.push(...outcome.health);
    abandoned = outcome.abandoned;
    connections = outcome.connections;
    if (outcome.startEpoch !== undefined) {
      window = measuredWindow(scenario.spec, outcome.startEpoch, outcome.stopEpoch);
    }
    status = outcome.status;
    reason = outcome.reason;
  } catch (err) {
    status = err instanceof Interrupted ? 'aborted' : 'failed';
    reason = err instanceof Error ? err.message : String(err);
  }
  const measuredResult = measured.result();
  const health_ = targetHealth(measuredResult.totals, measuredResult.timeline);
  if (status === 'completed' && health_.unreachable) {
    status = 'degraded';
    reason = describeUnreachable(health_);
  }
  const totals = measuredResult.totals;
  const byGroup = new Map(totals.map((t) => [t.group, t]));
  // Every worker is done (watchers included, after their grace): what the ledger holds is final.
  const fromLedger = ledgerCounters(scenario, ledger.scan());
  const caps = scenario.spec.actors.flatMap((g) => capInput(g, byGroup.get(g.name)) ?? []);
  const policy = scenario.spec.cleanup;
  let result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'apfbench', version: toolVersion },
    runId,
    scenario,
    target: { server: run.target.server, serverVersion: run.serverVersion, local: run.local },
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    ...window,
    status,
    ...(reason === undefined ? {} : { reason }),
    workers: workersStarted,
    actors: Object.fromEntries(
      scenario.spec.actors.map((g) => [
        g.name,
        groupResult(g, byGroup.get(g.name), fromLedger.get(g.name)),
      ]),
    ),
    timeline: [...timeline.result().timeline],
    generator: { ...judgeRun(health, caps), abandonedRequests: abandoned },
    targetHealth: health_,
    clientConnections: clientConnections(scenario.spec, connections),
    // Until the cleanup below, after the measurements: nothing of it may show in theirs.
    cleanup: { policy, deleted: 0, errors: [] },
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
  };
  for (const m of measurements) result = { ...result, ...(await m.finish({ result })) };

  let cleanup = result.cleanup;
  if (policy === 'always' || (policy === 'on-success' && status === 'completed')) {
    say(`deleting objects labelled ${RUN_LABEL}=${runId}`);
    cleanup = { policy, ...(await deleteRunObjects(admin, scenario, `${RUN_LABEL}=${runId}`)) };
  }
  return { ...result, endedAt: new Date().toISOString(), cleanup };
}

interface MeasuredWindow {
  readonly measuredFrom: string;
  readonly measuredTo: string;
}

/**
 * The measured window in wall-clock time: from the end of the warm-up to the deadline, or to an
 * early stop, so that outside events line up with it and rates divide by the time that ran.
 */
export function measuredWindow(
  spec: { readonly duration: number; readonly warmup: number },
  startEpoch: number,
  stopEpoch?: number,
): MeasuredWindow {
  const from = startEpoch + spec.warmup;
  const to = Math.max(from, Math.min(startEpoch + spec.duration, stopEpoch ?? Infinity));
  return {
    measuredFrom: new Date(from).toISOString(),
    measuredTo: new Date(to).toISOString(),
  };
}

class Interrupted extends Error {
  constructor() {
    super('interrupted before the load started');
  }
}

/**
 * The run's write ledger, sized for the `writes` the plan expects (see
 * ActorDefinition.expectedWrites), with a margin for Poisson schedules.
 */
export function createRunLedger(scenario: Scenario, writes: number): WriteLedger {
  return WriteLedger.create(ledgerCapacityFor(writes * 1.2 + 1000), ledgerCounterSlots(scenario));
}

/**
 * The ledger's verdict as counters of the writing groups (`watch.lost`, ...), as each group's
 * actor type names them. It covers the whole run, warm-up included: a write in the warm-up whose
 * event never came is still lost.
 */
function ledgerCounters(scenario: Scenario, scan: LedgerScan): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const [tag, t] of scan.byTag) {
    const group = scenario.spec.actors[tag];
    if (group === undefined) continue;
    const counters = definitionOf(group).ledgerCounters?.(t, group);
    if (counters !== undefined) out.set(group.name, counters);
  }
  return out;
}

interface DriveOptions {
  readonly init: (workerIndex: number, instances: InstanceAssignment[]) => ToWorker;
  readonly durationMs: number;
  readonly warmupIntervals: number;
  readonly intervalMs: number;
  readonly drainMs: number;
  readonly timeline: TimelineAggregator;
  readonly measured: TimelineAggregator;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  readonly onStart?: (startEpochMs: number) => void;
  /** Actor type by group name, for progress. */
  readonly types: ReadonlyMap<string, string>;
}

interface DriveOutcome {
  readonly status: RunStatus;
  readonly reason: string | undefined;
  readonly health: GeneratorHealth[];
  readonly abandoned: number;
  /** Each worker's pool counts, as the workers sent them when done. */
  readonly connections: PoolCount[];
  /** Wall-clock ms of the start barrier (timeline t = 0), when the load started. */
  readonly startEpoch?: number;
  /** Wall-clock ms at which an early stop (Ctrl-C, a failed worker) ended the sending. */
  readonly stopEpoch?: number;
}

/** Spawns the workers, holds them at the start barrier, and collects until every one is done. */
async function driveWorkers(
  shards: InstanceAssignment[][],
  o: DriveOptions,
): Promise<DriveOutcome> {
  const workers = shards.map(() => spawnWorker());
  const health: GeneratorHealth[] = [];
  let abandoned = 0;
  const connections: PoolCount[] = [];
  let status: RunStatus = 'completed';
  let reason: string | undefined;
  let startEpoch = 0;
  let stopEpoch: number | undefined;

  let stopping = false;
  let stopped = () => {};
  const stoppedEarly = new Promise<void>((resolve) => (stopped = resolve));
  // Every worker hears the stop at once, also one whose actors have not started yet: they find
  // the worker's signal already aborted when they do, and end without sending.
  const stopAll = (why: RunStatus, message: string) => {
    if (status === 'completed') {
      status = why;
      reason = message;
    }
    stopping = true;
    stopEpoch ??= performance.timeOrigin + performance.now();
    stopped();
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
  };
  // Also when aborted before this was called (while the server-side measurement started, say).
  const unlisten =
    o.signal === undefined
      ? () => {}
      : whenAborted(o.signal, () => stopAll('aborted', 'interrupted'));

  const ingest = (m: Extract<FromWorker, { type: 'interval' | 'done' }>) => {
    for (const s of m.snapshots) {
      o.timeline.add(s);
      if (s.intervalIndex >= o.warmupIntervals) o.measured.add(s);
    }
    if (m.type === 'interval' && o.onProgress !== undefined) {
      const index = m.snapshots[0]?.intervalIndex ?? 0;
      const { groups, ...totals } = o.timeline.progress();
      o.onProgress({
        ...totals,
        groups: groups.map((g) => ({ ...g, type: o.types.get(g.group) ?? '' })),
        elapsedMs: Math.min(o.durationMs, performance.timeOrigin + performance.now() - startEpoch),
        durationMs: o.durationMs,
        rps: o.timeline.completedIn(index) / (o.intervalMs / 1000),
      });
    }
  };

  const lifetimes = workers.map(
    (w, i) =>
      new Promise<void>((resolve) => {
        let done = false;
        w.on('message', (m: FromWorker) => {
          if (m.type === 'interval') ingest(m);
          else if (m.type === 'done') {
            ingest(m);
            health[m.workerIndex] = m.health;
            abandoned += m.abandoned;
            connections.push(...m.connections);
            done = true;
            void w.terminate().then(() => resolve());
          } else if (m.type === 'failed') {
            stopAll('failed', `worker ${i}: ${m.message}`);
            done = true;
            void w.terminate().then(() => resolve());
          }
        });
        w.on('error', (err) => {
          stopAll('failed', `worker ${i}: ${err.message}`);
          resolve();
        });
        w.on('exit', (code) => {
          if (!done) stopAll('failed', `worker ${i} exited with code ${code} before reporting`);
          resolve();
        });
      }),
  );

  try {
    const ready = Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            const onReady = (m: FromWorker) => {
              if (m.type === 'ready') {
                w.off('message', onReady);
                resolve();
              }
            };
            w.on('message', onReady);
            w.once('error', reject);
            w.postMessage(o.init(i, shards[i]!));
          }),
      ),
    );
    // Ctrl-C or a failed worker while they start up: none is started.
    await Promise.race([ready, stoppedEarly]);
    if (stopping) return { status, reason, health, abandoned, connections };
    // Start barrier: every worker starts at the same wall-clock instant.
    startEpoch = performance.timeOrigin + performance.now() + 250;
    for (const w of workers)
      w.postMessage({ type: 'start', startAtEpochMs: startEpoch } satisfies ToWorker);
    o.onStart?.(startEpoch);
    const hardStop = setTimeout(
      () => {
        stopAll('failed', 'workers did not finish in time');
        setTimeout(
          () => void Promise.all(workers.map((w) => w.terminate())),
          o.drainMs + 5000,
        ).unref();
      },
      o.durationMs + 2 * o.drainMs + 30_000,
    );
    await Promise.all(lifetimes);
    clearTimeout(hardStop);
  } finally {
    unlisten();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    status,
    reason,
    health: health.filter((h) => h !== undefined),
    abandoned,
    connections,
    startEpoch,
    ...(stopEpoch === undefined ? {} : { stopEpoch }),
  };
}
