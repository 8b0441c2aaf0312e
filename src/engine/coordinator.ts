import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { RUN_LABEL, definitionOf } from '../actors/index.js';
import { bootstrapLoadIdentities } from '../cluster/bootstrap.js';
import { whenAborted } from '../errors.js';
import {
  FlowControlNames,
  type KubeClient,
  type KubeTarget,
  type RefreshingToken,
} from '../kube/index.js';
import {
  TimelineAggregator,
  totalsByGroup,
  type ProgressResponses,
} from '../metrics/timeline-aggregator.js';
import { DEFAULT_INTERVAL_MS } from '../metrics/timeline-snapshot.js';
import {
  RESULT_SCHEMA_VERSION,
  WINDOW_ATTRIBUTION,
  inResultOrder,
  type RunClock,
  type RunProfile,
  type RunResult,
  type RunStatus,
} from '../result/result.js';
import type { Scenario } from '../actors/scenario.js';
import { toolVersion } from '../version.js';
import {
  generatorMeasurement,
  clientConnectionsMeasurement,
  targetHealthMeasurement,
  writeLedgerMeasurement,
} from './load-side.js';
import {
  finishMeasurements,
  reportToMeasurements,
  startMeasurements,
  type AnyMeasurement,
} from './measurement.js';
import { faultRunner, type FaultTarget } from './faults.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';
import { liveMetricsMeasurement } from './live-metrics.js';
import { fairnessMeasurement, serverMeasurement, type ServerSideOptions } from './server-side.js';
import { harnessMeasurement, readProcess } from './harness-cost.js';
import {
  createFixtures,
  deleteRunObjects,
  ensureNamespaces,
  scenarioNamespaces,
} from './fixtures.js';
import { groupResult } from '../result/group-result.js';
import { expandIdentity } from '../scenario/identity.js';
import { authChoiceOf, type IdentityResolver } from './identities.js';
import { planRun, workerCount, type PlacedInstance } from './plan.js';
import type { FromWorker, InstanceAssignment, ToWorker, WorkerReport } from './protocol.js';
import type { WorkerHandle, WorkerPlacement } from './worker-handle.js';
import { checkWebhooks, webhookHost } from './webhooks.js';

/** Where a run goes: the API server, the admin client for setup, and how load identities authenticate. */
export interface RunTarget {
  readonly target: KubeTarget;
  /** system:masters; only for setup, fixtures, metrics and cleanup, never for load. */
  readonly admin: KubeClient;
  readonly identities: IdentityResolver;
  readonly serverVersion: string;
  readonly local: boolean;
  /** The control plane apfbench started, which spec.faults act on; absent for any other cluster. */
  readonly controlPlane?: FaultTarget;
  /**
   * The admin's credential when it changes during the run (an exec plugin's, a token file's):
   * load identities that impersonate through the admin send its current token, which the
   * coordinator posts to every worker as it changes.
   */
  readonly credential?: RefreshingToken;
  /** The audit log the control plane apfbench started writes, recorded in the result. */
  readonly audit?: RunResult['audit'];
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
  /** The deadline (or a stop) has passed: no more sends, the requests in flight finish. */
  readonly draining: boolean;
  /** Requests sent and not yet finished. */
  readonly inFlight: number;
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
  /** `--metrics-addr`: the run's figures go there too, every interval (live-metrics.ts). */
  readonly liveMetrics?: LiveMetrics;
  /**
   * Called once, at the start barrier, with the wall-clock instant (ms since the epoch) that the
   * timeline's t = 0 stands for. Anything timed against the load (a fault, say) counts from here,
   * not from the call: set-up takes longer on a busy machine.
   */
  readonly onStart?: (startEpochMs: number) => void;
  /** Set-up and tear-down steps, as lines. */
  readonly onPhase?: (line: string) => void;
  /** Fixtures created so far, of how many, after each one. */
  readonly onFixtures?: (done: number, total: number) => void;
  /** Workers elsewhere (remote agents' threads) instead of this machine's, by the run plan. */
  readonly placement?: WorkerPlacement;
  /** The scenario's file, to locate problems found on the server (a webhook's resource). */
  readonly scenarioFile?: string;
}

/** The plan's placement of one worker's instances, with the identity each one sends as. */
function withIdentities(
  scenario: Scenario,
  instances: readonly PlacedInstance[],
  identities: IdentityResolver,
): InstanceAssignment[] {
  const groups = new Map(
    scenario.spec.actors.map((g, i) => [
      g.name,
      {
        group: g,
        auth: authChoiceOf('auth' in g ? g.auth : undefined),
        where: `spec.actors[${i}] (${g.name})`,
      },
    ]),
  );
  return instances.map((instance) => {
    const { group, auth, where } = groups.get(instance.group)!;
    const groupsOf = definitionOf(group).identityGroups;
    const identity = identities.resolve(
      expandIdentity(group.identity, instance.index),
      typeof groupsOf === 'function' ? groupsOf(group) : groupsOf,
      auth,
      where,
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
export function spawnWorker(): Worker {
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
  // Before any set-up: the harness's cost over the whole run counts from here.
  const runStart = readProcess();
  const say = opts.onPhase ?? (() => {});
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const drainMs = opts.drainMs ?? 10_000;
  const runId = newRunId(scenario);
  const label = { [RUN_LABEL]: runId };
  const { admin } = run;
  // Refuses faults on a cluster apfbench did not start, before anything is created on it.
  const faults = faultRunner(scenario.spec, run.controlPlane, say);
  // The same for webhooks on a resource the server lacks, or a server that cannot call them.
  await checkWebhooks(admin, run.target.server, scenario.spec.webhooks ?? [], opts.scenarioFile);
  const webhooks = webhookHost(scenario.spec.webhooks ?? [], {
    admin,
    runId,
    labels: label,
    seed: scenario.spec.seed,
    say,
  });

  const plan = planRun(scenario, workerCount(scenario, opts.workers));
  // Every instance's identity, before anything is created: a certificate asked for and missing
  // is refused here, with nothing to clean up.
  withIdentities(
    scenario,
    plan.workers.flatMap((w) => w.instances),
    run.identities,
  );
  await ensureNamespaces(admin, scenarioNamespaces(scenario));
  await bootstrapLoadIdentities(admin);
  const names = await new FlowControlNames().refresh(admin);
  let status: RunStatus;
  let window: MeasuredWindow | undefined;
  let clock: RunClock | undefined;
  let reason: string | undefined;
  const startedAt = new Date();
  const timeline = new TimelineAggregator(intervalMs);
  const measured = new TimelineAggregator(intervalMs);
  let workersStarted = 0;
  const ledger = writeLedgerMeasurement(scenario, plan.writes);
  const harness = harnessMeasurement(scenario.spec, runStart);
  // In this order: target health settles the status first; fairness and the harness's cost read
  // the server section.
  const measurements = [
    targetHealthMeasurement(),
    ledger,
    generatorMeasurement(scenario),
    clientConnectionsMeasurement(scenario),
    serverMeasurement(opts),
    fairnessMeasurement(opts),
    harness,
    // Removes the webhooks before the cleanup deletes anything they would be called for.
    webhooks.measurement,
    // Adds no section: it passes each report on to --metrics-addr (a no-op without it).
    liveMetricsMeasurement(opts.liveMetrics, {
      runId,
      scenario: scenario.metadata.name,
      profile: opts.profile?.name,
    }),
  ] as const;
  try {
    harness.fixtures(true);
    await createFixtures(admin, scenario, label, {
      onProgress: say,
      ...(opts.onFixtures === undefined ? {} : { onCount: opts.onFixtures }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    }).finally(() => harness.fixtures(false));
    const aborted = () => opts.signal?.aborted === true;
    if (aborted()) throw new Interrupted();
    await webhooks.register(opts.signal);
    if (aborted()) throw new Interrupted();
    await startMeasurements(measurements, { admin });
    const placement = opts.placement ?? {
      shards: plan.workers.map((w) => w.instances),
      connections: plan.workers.map((w) => w.connections),
      spawn: spawnWorker,
    };
    const shards = placement.shards.map((s) => withIdentities(scenario, s, run.identities));
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
        connections: placement.connections[workerIndex] ?? 1,
        intervalMs,
        drainMs,
        serverVersion: run.serverVersion,
        ...ledger.workerInit,
        tokens: run.credential === undefined ? {} : { [run.credential.name]: run.credential.token },
      }),
      ...(run.credential === undefined ? {} : { credential: run.credential }),
      spawn: (i) => placement.spawn(i),
      durationMs: scenario.spec.duration,
      intervalMs,
      drainMs,
      timeline,
      measured,
      measurements,
      types: new Map(scenario.spec.actors.map((g) => [g.name, g.type])),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      onStop: () => harness.stopped(),
      onStart: (startEpoch) => {
        harness.started(startEpoch);
        faults?.begin(startEpoch);
        opts.onStart?.(startEpoch);
      },
    });
    if (outcome.start !== undefined) {
      window = measuredWindow(scenario.spec, outcome.start.epochMs, outcome.stopEpoch);
      clock = outcome.start.clock;
    }
    status = outcome.status;
    reason = outcome.reason;
  } catch (err) {
    status = err instanceof Interrupted ? 'aborted' : 'failed';
    reason = err instanceof Error ? err.message : String(err);
  }
  // Before the measurements finish and the cleanup: a paused or restarting server is back.
  const faultRecords = await faults?.finish();
  const measuredRun = measured.result();
  const byGroup = totalsByGroup(measuredRun);
  const policy = scenario.spec.cleanup;
  const result: RunResult = await finishMeasurements(measurements, measuredRun, {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'apfbench', version: toolVersion },
    runId,
    scenario,
    target: { server: run.target.server, serverVersion: run.serverVersion, local: run.local },
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    ...window,
    attribution: WINDOW_ATTRIBUTION,
    ...(clock === undefined ? {} : { clock }),
    status,
    ...(reason === undefined ? {} : { reason }),
    workers: workersStarted,
    actors: Object.fromEntries(
      scenario.spec.actors.map((g) => [g.name, groupResult(g, byGroup.get(g.name))]),
    ),
    timeline: [...timeline.result(clock === undefined ? undefined : Date.parse(clock.t0)).timeline],
    ...(faultRecords === undefined ? {} : { faults: faultRecords }),
    // Until the cleanup below, after the measurements: nothing of it may show in theirs.
    cleanup: { policy, deleted: 0, errors: [] },
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(run.audit === undefined ? {} : { audit: run.audit }),
  });

  // Already done by its measurement; a no-op unless that one threw.
  await webhooks.remove();
  let cleanup = result.cleanup;
  // A partial run lost an agent, not the server's answers: its objects go as a completed run's.
  const succeeded = result.status === 'completed' || result.status === 'partial';
  if (policy === 'always' || (policy === 'on-success' && succeeded)) {
    say(`deleting objects labelled ${RUN_LABEL}=${runId}`);
    cleanup = { policy, ...(await deleteRunObjects(admin, scenario, `${RUN_LABEL}=${runId}`)) };
  }
  // The measurements added their sections last; result.json lists them where the schema does.
  return inResultOrder({ ...result, endedAt: new Date().toISOString(), cleanup });
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

interface DriveOptions {
  readonly init: (workerIndex: number, instances: InstanceAssignment[]) => ToWorker;
  readonly spawn: (workerIndex: number) => WorkerHandle;
  readonly durationMs: number;
  readonly intervalMs: number;
  readonly drainMs: number;
  readonly timeline: TimelineAggregator;
  readonly measured: TimelineAggregator;
  /** Each gets every worker report, after the aggregators. */
  readonly measurements: readonly AnyMeasurement[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  readonly onStart?: (startEpochMs: number) => void;
  /** The sending ended early: a stop, Ctrl-C or a failed worker. */
  readonly onStop?: () => void;
  /** Actor type by group name, for progress. */
  readonly types: ReadonlyMap<string, string>;
  /** Each new token of it is posted to every worker; a worker's 401 with it refreshes it. */
  readonly credential?: RefreshingToken;
}

interface DriveOutcome {
  readonly status: RunStatus;
  readonly reason: string | undefined;
  /** When the load started: the start barrier (timeline t = 0) in epoch ms, and the clocks. */
  readonly start?: { readonly epochMs: number; readonly clock: RunClock };
  /** Wall-clock ms at which an early stop (Ctrl-C, a failed worker) ended the sending. */
  readonly stopEpoch?: number;
}

/** Spawns the workers, holds them at the start barrier, and collects until every one is done. */
async function driveWorkers(
  shards: InstanceAssignment[][],
  o: DriveOptions,
): Promise<DriveOutcome> {
  const workers = shards.map((_, i) => o.spawn(i));
  const { credential } = o;
  const unlistenToken = credential?.onChange((token) => {
    for (const w of workers)
      w.postMessage({ type: 'token', credential: credential.name, token } satisfies ToWorker);
  });
  let status: RunStatus = 'completed';
  let reason: string | undefined;
  let startEpoch = 0;
  let start: DriveOutcome['start'];
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
    o.onStop?.();
    stopped();
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
  };
  // Also when aborted before this was called (while the server-side measurement started, say).
  const unlisten =
    o.signal === undefined
      ? () => {}
      : whenAborted(o.signal, () => stopAll('aborted', 'interrupted'));

  const ingest = (m: WorkerReport) => {
    for (const s of m.snapshots) {
      o.timeline.add(s);
      // The measured window's figures: requests intended after the warm-up, whenever they ended.
      if (s.window === 'measured') o.measured.add(s);
    }
    reportToMeasurements(o.measurements, m);
    if (m.type === 'interval' && o.onProgress !== undefined) {
      const index = m.snapshots[0]?.intervalIndex ?? 0;
      const { groups, ...totals } = o.timeline.progress();
      const elapsedMs = performance.timeOrigin + performance.now() - startEpoch;
      o.onProgress({
        ...totals,
        groups: groups.map((g) => ({ ...g, type: o.types.get(g.group) ?? '' })),
        elapsedMs: Math.min(o.durationMs, elapsedMs),
        durationMs: o.durationMs,
        rps: o.timeline.completedIn(index) / (o.intervalMs / 1000),
        draining: stopping || elapsedMs >= o.durationMs,
        inFlight: Math.max(0, totals.sent - totals.completed),
      });
    }
  };

  const lifetimes = workers.map(
    (w, i) =>
      new Promise<void>((resolve) => {
        let done = false;
        w.on('message', (m: FromWorker) => {
          if (m.type === 'interval') ingest(m);
          else if (m.type === 'unauthorized') {
            if (m.credential === credential?.name) credential.rejected(m.token);
          } else if (m.type === 'done') {
            ingest(m);
            done = true;
            void w.terminate().then(() => resolve());
          } else if (m.type === 'lost') {
            // The other workers go on; the run is partial, naming each agent lost.
            if (status === 'completed') status = 'partial';
            if (status === 'partial' && !(reason ?? '').includes(m.message)) {
              reason = reason === undefined ? m.message : `${reason}; ${m.message}`;
            }
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
    if (stopping) return { status, reason };
    // Start barrier: every worker starts at the same wall-clock instant.
    const sample = { monotonicMs: performance.now(), wallMs: Date.now() };
    startEpoch = performance.timeOrigin + sample.monotonicMs + 250;
    start = {
      epochMs: startEpoch,
      clock: {
        t0: new Date(startEpoch).toISOString(),
        monotonicOriginMs: performance.timeOrigin,
        sample,
      },
    };
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
    unlistenToken?.();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    status,
    reason,
    ...(start === undefined ? {} : { start }),
    ...(stopEpoch === undefined ? {} : { stopEpoch }),
  };
}
