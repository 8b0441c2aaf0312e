/**
 * A load worker thread: builds its share of actor instances, waits at the
 * start barrier, runs them, and posts encoded histograms and counters once per
 * interval. Everything here runs on the worker's own event loop.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { definitionOf, type ActorContext, type RunInfo } from '../actors/index.js';
import { whenAborted } from '../errors.js';
import { FlowControlNames, KubeClient } from '../kube/index.js';
import {
  EventLoopMonitor,
  crossesThresholds,
  generatorHealth,
  type LoopSample,
} from '../metrics/generator-health.js';
import { createAccumulator, mergeEncoded, summarizeMs } from '../metrics/histogram.js';
import { LagEvidenceRecorder } from '../metrics/lag-cause.js';
import { StallWatchdog, phaseAt, type StallPhase } from '../metrics/stalls.js';
import { readThreadCpu } from '../metrics/thread-cpu.js';
import { GroupIntervalCollector } from '../metrics/timeline-collector.js';
import { TRANSPORT_ERROR_PREFIX, type IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import { WriteLedger } from '../metrics/write-ledger.js';
import type { ActorGroup } from '../actors/scenario.js';
import { createRealClock } from '../timing/clock.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { crashFaultFor, crashNow } from './crash-fault.js';
import { createRng } from '../timing/random.js';
import { mapInBatches } from '../timing/each-limited.js';
import { WorkerTransports } from './transports.js';

/**
 * Actor instances built, and started, between two yields to the event loop: a few ms of work,
 * so that thousands of them never block the loop in one piece (docs/benchmarks.md, kubelets).
 */
const INSTANCE_BATCH = 200;

const port = parentPort;
if (port === null) throw new Error('engine/worker.ts must run in a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

let init: WorkerInit | undefined;
/** Where the run is, for the stall watchdog: start-up until `run` knows the start instant. */
let phase: () => StallPhase = () => 'start-up';
let watchdog: StallWatchdog | undefined;
/** The worker's connections, made at `init` so that new tokens can reach them at any time. */
let transports: WorkerTransports | undefined;
const stop = new AbortController();
// Every actor instance may listen for the stop: thousands of listeners are expected here.
setMaxListeners(0, stop.signal);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      init = m;
      watchdog ??= new StallWatchdog(() => phase());
      transports = workerTransports(m);
      post({ type: 'ready' });
      break;
    case 'token':
      transports?.setToken(m.credential, m.token);
      break;
    case 'start':
      if (init === undefined || transports === undefined) throw new Error('start before init');
      run(init, transports, m.startAtEpochMs).catch((err: unknown) =>
        post({
          type: 'failed',
          workerIndex: init?.workerIndex ?? -1,
          message: String((err as Error)?.stack ?? err),
        }),
      );
      break;
    case 'stop':
      stop.abort();
      break;
  }
});

/**
 * The worker's transports (one per per-actor instance, one per shared pool; transports.ts), with
 * the run's current tokens. A 401 to a refreshable credential's token, on any of them, is
 * reported to the coordinator once per token.
 */
function workerTransports(m: WorkerInit): WorkerTransports {
  const reported = new Set<string>();
  const t = new WorkerTransports(m.target, m.scenario.spec, m.connections, (credential, token) => {
    if (reported.has(token)) return;
    reported.add(token);
    post({ type: 'unauthorized', credential, token });
  });
  for (const [credential, token] of Object.entries(m.tokens)) t.setToken(credential, token);
  return t;
}

async function run(
  init: WorkerInit,
  transports: WorkerTransports,
  startAtEpochMs: number,
): Promise<void> {
  const { scenario, intervalMs } = init;
  const clock = createRealClock({ resolutionMs: scenario.spec.timerResolution });
  // performance.now() has a different origin in each thread; the epoch does not.
  const originMs = startAtEpochMs - performance.timeOrigin;
  const deadlineMs = scenario.spec.duration;
  phase = () => phaseAt(clock.now() - originMs, scenario.spec, stop.signal.aborted);
  const names = FlowControlNames.fromJSON(init.names);
  const groups = new Map<string, ActorGroup>(scenario.spec.actors.map((g) => [g.name, g]));
  const collectors = new Map<string, GroupIntervalCollector>();
  // Every request counts in the window of its intended send time (timeline-collector.ts).
  const window = { measuredFromMs: scenario.spec.warmup, now: () => clock.now() - originMs };
  const runInfo: RunInfo = {
    id: init.runId,
    scenario,
    labelKey: init.labelKey,
    ...(init.serverVersion === undefined ? {} : { serverVersion: init.serverVersion }),
  };
  const ledger = WriteLedger.attach(init.ledger);
  const seed = createRng(scenario.spec.seed);
  const crash = crashFaultFor(process.env.APFBENCH_TEST_CRASH_WORKER, init.workerIndex);

  const instances = await mapInBatches(init.instances, INSTANCE_BATCH, (a) => {
    const group = groups.get(a.group);
    if (group === undefined) throw new Error(`unknown actor group ${a.group}`);
    let collector = collectors.get(a.group);
    if (collector === undefined)
      collectors.set(a.group, (collector = new GroupIntervalCollector(a.group, window)));
    const ctx: ActorContext = {
      client: new KubeClient(transports.for(group, a.identity), a.identity),
      names,
      collector,
      rng: seed.fork(`${a.group}/${a.index}`),
      clock,
      originMs,
      deadlineMs,
      signal: stop.signal,
      run: runInfo,
      ledger,
    };
    return definitionOf(group).create(group, a, ctx);
  });

  // The generator's health, like every measurement, covers the part of the run after the
  // warm-up: start-up bursts (registrations, first LISTs, TLS handshakes) are judged there.
  // Schedule lag by the sends' window, the event loop from the first interval after it.
  const loop = new EventLoopMonitor();
  const lag = createAccumulator();
  const warmupIntervals = Math.ceil(scenario.spec.warmup / intervalMs);
  const flush = (index: number): IntervalSnapshot[] => {
    const snapshots = [...collectors.values()].flatMap((c) => c.snapshot(index));
    for (const s of snapshots) {
      if (s.window === 'measured') mergeEncoded(lag, s.scheduleLag);
    }
    if (index === warmupIntervals - 1) loop.restartTotal();
    return snapshots;
  };
  const inFlight = () => transports.stats.pending + transports.stats.running;

  await clock.sleepUntil(originMs);
  const crashTimer = crash && setTimeout(() => crashNow(crash, init.workerIndex), crash.afterMs);
  loop.interval();
  // Why the generator lagged, if it did: this thread's CPU and the server's answers per interval.
  const evidence = new LagEvidenceRecorder({ cpu: readThreadCpu(), inFlight: inFlight() });
  let intervalStart = performance.now();
  const judgeInterval = (
    index: number,
    snapshots: readonly IntervalSnapshot[],
    sample: LoopSample,
  ) => {
    const now = performance.now();
    const intervalLag = createAccumulator();
    for (const s of snapshots) mergeEncoded(intervalLag, s.scheduleLag);
    evidence.add({
      wallMs: now - intervalStart,
      lagging: crossesThresholds(sample, summarizeMs(intervalLag).p99),
      cpu: readThreadCpu(),
      inFlight: inFlight(),
      answered: snapshots.reduce((n, s) => n + answeredIn(s), 0),
      measured: index >= warmupIntervals,
    });
    intervalStart = now;
  };
  // Each tick closes the interval that just ended, aligned to the run's start.
  // It keeps ticking through the drain after the deadline or a stop, so that
  // every interval gets its row; the last, partial one is flushed at the end.
  let nextTick = originMs + intervalMs;
  const openInterval = () => Math.round((nextTick - originMs) / intervalMs) - 1;
  const tickerStop = new AbortController();
  const ticker = (async () => {
    for (;;) {
      await clock.sleepUntil(nextTick, tickerStop.signal);
      if (tickerStop.signal.aborted) break;
      const index = openInterval();
      nextTick += intervalMs;
      const snapshots = flush(index);
      const sample = loop.interval();
      judgeInterval(index, snapshots, sample);
      post({ type: 'interval', workerIndex: init.workerIndex, snapshots, loop: sample });
    }
  })();

  // Started in batches too: each run() does its first steps (timers, listeners) synchronously.
  // A run never rejects (actor.ts); one that did, before allSettled sees it, is not unhandled.
  const finished = Promise.allSettled(
    await mapInBatches(instances, INSTANCE_BATCH, (i) => {
      const running = i.run();
      running.catch(() => {});
      return running;
    }),
  );
  // In-flight requests get drainMs after the deadline, or after a stop, to finish.
  let drainTimer: NodeJS.Timeout | undefined;
  let unlisten = () => {};
  const drainExpired = new Promise<false>((resolve) => {
    const expire = (ms: number) => {
      clearTimeout(drainTimer);
      drainTimer = setTimeout(() => resolve(false), ms);
    };
    expire(originMs + deadlineMs - clock.now() + init.drainMs);
    // A stop may have come before this point (while the worker waited for the start instant).
    unlisten = whenAborted(stop.signal, () => expire(init.drainMs));
  });
  let abandoned = 0;
  const drained = await Promise.race([finished.then(() => true), drainExpired]);
  unlisten();
  clearTimeout(drainTimer);
  if (!drained) {
    abandoned = transports.stats.pending + transports.stats.running;
    // First wake what sleeps on the signal (a 429 retry waiting out Retry-After): it records its
    // 429 and sends nothing more, instead of retrying into the destroyed pool after the drain.
    stop.abort();
    await transports.destroy();
    await finished;
  } else {
    await transports.close();
  }
  stop.abort();
  tickerStop.abort();
  await ticker;
  const snapshots = flush(openInterval());
  const health = generatorHealth(loop.total(), summarizeMs(lag).p99, evidence.evidence());
  loop.stop();
  watchdog?.stop();
  clearTimeout(crashTimer);
  const measuredCpu = evidence.measuredCpu();
  const worstStall = watchdog?.worst();
  post({
    type: 'done',
    workerIndex: init.workerIndex,
    snapshots,
    health,
    abandoned,
    connections: transports.counts(),
    ...(measuredCpu === undefined ? {} : { measuredCpu }),
    ...(worstStall === undefined ? {} : { worstStall }),
  });
}

/** HTTP responses in a snapshot: every code but transport errors (no answer from the server). */
function answeredIn(s: IntervalSnapshot): number {
  let n = 0;
  for (const [code, count] of Object.entries(s.byCode)) {
    if (!code.startsWith(TRANSPORT_ERROR_PREFIX)) n += count;
  }
  return n;
}
