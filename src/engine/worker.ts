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
import { EventLoopMonitor, generatorHealth } from '../metrics/generator-health.js';
import { createAccumulator, mergeEncoded, summarizeMs } from '../metrics/histogram.js';
import { GroupIntervalCollector } from '../metrics/timeline-collector.js';
import { type IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import { WriteLedger } from '../metrics/write-ledger.js';
import type { ActorGroup } from '../scenario/index.js';
import { createRealClock } from '../timing/clock.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { crashFaultFor, crashNow } from './crash-fault.js';
import { createRng } from '../timing/random.js';
import { WorkerTransports } from './transports.js';

type Init = Extract<ToWorker, { type: 'init' }>;

const port = parentPort;
if (port === null) throw new Error('engine/worker.ts must run in a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

let init: Init | undefined;
const stop = new AbortController();
// Every actor instance may listen for the stop: thousands of listeners are expected here.
setMaxListeners(0, stop.signal);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      init = m;
      post({ type: 'ready' });
      break;
    case 'start':
      if (init === undefined) throw new Error('start before init');
      run(init, m.startAtEpochMs).catch((err: unknown) =>
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

async function run(init: Init, startAtEpochMs: number): Promise<void> {
  const { scenario, intervalMs } = init;
  const clock = createRealClock({ resolutionMs: scenario.spec.timerResolution });
  // performance.now() has a different origin in each thread; the epoch does not.
  const originMs = startAtEpochMs - performance.timeOrigin;
  const deadlineMs = scenario.spec.duration;
  const names = FlowControlNames.fromJSON(init.names);
  const groups = new Map<string, ActorGroup>(scenario.spec.actors.map((g) => [g.name, g]));
  const collectors = new Map<string, GroupIntervalCollector>();
  const transports = new WorkerTransports(init.target, scenario.spec, init.connections);
  const runInfo: RunInfo = {
    id: init.runId,
    scenario,
    labelKey: init.labelKey,
    ...(init.serverVersion === undefined ? {} : { serverVersion: init.serverVersion }),
  };
  const ledger = WriteLedger.attach(init.ledger);
  const seed = createRng(scenario.spec.seed);
  const crash = crashFaultFor(process.env.APFBENCH_TEST_CRASH_WORKER, init.workerIndex);

  const instances = init.instances.map((a) => {
    const group = groups.get(a.group);
    if (group === undefined) throw new Error(`unknown actor group ${a.group}`);
    let collector = collectors.get(a.group);
    if (collector === undefined)
      collectors.set(a.group, (collector = new GroupIntervalCollector(a.group)));
    const ctx: ActorContext = {
      client: new KubeClient(transports.for(group), a.identity),
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
  const loop = new EventLoopMonitor();
  const lag = createAccumulator();
  const warmupIntervals = Math.ceil(scenario.spec.warmup / intervalMs);
  const flush = (index: number): IntervalSnapshot[] => {
    const snapshots = [...collectors.values()].map((c) => c.snapshot(index));
    if (index >= warmupIntervals) {
      for (const s of snapshots) mergeEncoded(lag, s.scheduleLag);
    }
    if (index === warmupIntervals - 1) loop.restartTotal();
    return snapshots;
  };

  await clock.sleepUntil(originMs);
  const crashTimer = crash && setTimeout(() => crashNow(crash, init.workerIndex), crash.afterMs);
  loop.interval();
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
      post({
        type: 'interval',
        workerIndex: init.workerIndex,
        snapshots: flush(index),
        loop: loop.interval(),
      });
    }
  })();

  const finished = Promise.allSettled(instances.map((i) => i.run()));
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
  const health = generatorHealth(loop.total(), summarizeMs(lag).p99);
  loop.stop();
  clearTimeout(crashTimer);
  post({
    type: 'done',
    workerIndex: init.workerIndex,
    snapshots,
    health,
    abandoned,
    connections: transports.counts(),
  });
}
