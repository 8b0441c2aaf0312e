/**
 * One apfbench load run in its own process, for `bench/generator.ts`: the real `tenant` actor on
 * the engine's open-loop schedule (`createSchedule`/`dispatch`/`InFlightLimiter` inside it), its
 * requests over `Transport` (its HTTP/1.1 pool, or with `--protocol h2` its HTTP/2 streams), every request recorded into the `GroupIntervalCollector`'s
 * HDR histograms, and the collector snapshotted (encoded) once per second, as a load worker does
 * (src/engine/worker.ts). What a worker does besides (posting snapshots to the coordinator) is
 * once a second and is left out.
 *
 * Usage: node --import tsx bench/apfbench-runner.ts --url http://127.0.0.1:PORT --rate 2000
 *        [--duration 10] [--connections 32] [--warmup 1] [--mode max] [--timer-resolution 1]
 *        [--protocol http1|h2]
 */
import { parseArgs } from 'node:util';
import { createTenant, tenantSchedule } from '../src/actors/tenant/create.js';
import { RUN_LABEL, type ActorContext } from '../src/actors/actor.js';
import { createRealClock } from '../src/timing/clock.js';
import { createRng } from '../src/timing/random.js';
import { expectedCount } from '../src/timing/schedule.js';
import { FlowControlNames, KubeClient, Transport } from '../src/kube/index.js';
import {
  capInput,
  EventLoopMonitor,
  generatorHealth,
  judgeCaps,
} from '../src/metrics/generator-health.js';
import { mergeSnapshots } from '../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../src/metrics/timeline-collector.js';
import { isErrorCode, type IntervalSnapshot } from '../src/metrics/timeline-snapshot.js';
import { parseScenario } from '../src/actors/scenario.js';
import type { TenantActorGroup } from '../src/actors/tenant/schema.js';
import {
  windowSince,
  windowStart,
  emitResult,
  RUNNER_OPTIONS,
  type RunnerResult,
} from './runner-protocol.js';

const INTERVAL_MS = 1000;

const { values } = parseArgs({
  options: {
    ...RUNNER_OPTIONS,
    'timer-resolution': { type: 'string', default: '1' },
    protocol: { type: 'string', default: 'http1' },
  },
});
const url = values.url ?? fail('--url is required');
const rate = positive(values.rate ?? fail('--rate is required'), '--rate');
const durationS = positive(values.duration, '--duration');
const connections = positive(values.connections, '--connections');
const warmupS = Number(values.warmup);
const timerResolutionMs = positive(values['timer-resolution'], '--timer-resolution');
const protocol =
  values.protocol === 'h2' || values.protocol === 'http1'
    ? values.protocol
    : fail('--protocol must be h2 or http1');

/** A GET-only tenant at `ratePerSec`, allowed `connections` requests in flight. */
function scenarioYaml(ratePerSec: number, seconds: number): string {
  return `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata:
  name: generator-bench
spec:
  duration: ${Math.round(seconds * 1000)}ms
  seed: 1
  timerResolution: ${timerResolutionMs}ms
  actors:
    - name: tenant
      type: tenant
      count: 1
      rate: ${ratePerSec}/s
      maxInFlight: ${connections}
      mix:
        - { verb: get, resource: configmaps, weight: 1 }
`;
}

interface EngineRun {
  readonly group: TenantActorGroup;
  readonly snapshots: IntervalSnapshot[];
  readonly cpu: { cpuMs: number; cpuSystemMs: number };
  readonly wallMs: number;
  readonly scheduled: number;
  readonly utilization: number;
  readonly eventLoopDelayP99Ms: number;
  readonly loop: ReturnType<EventLoopMonitor['total']>;
}

/** One run of the tenant actor, as a worker runs it; CPU and wall time from the run's origin. */
async function runEngine(seconds: number): Promise<EngineRun> {
  const parsed = parseScenario(scenarioYaml(rate, seconds), 'bench/apfbench-runner.ts (inline)');
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const { scenario } = parsed;
  const group = scenario.spec.actors[0] as TenantActorGroup;
  const instance = { index: 0, count: 1 };
  const spec = tenantSchedule(group, instance, scenario.spec.duration);
  const scheduled = spec.kind === 'constant' ? expectedCount(spec) : NaN;

  // As in worker.ts: HTTP/1.1, one socket per allowed in-flight request, so the pool never queues
  // a send; h2, the in-flight requests as streams of as few connections as the limit allows.
  const transport = new Transport(
    { server: url },
    { protocol, connections: protocol === 'h2' ? Math.ceil(connections / 100) : connections },
  );
  const clock = createRealClock({ resolutionMs: scenario.spec.timerResolution });
  const collector = new GroupIntervalCollector(group.name);
  const stop = new AbortController();
  const originMs = clock.now() + 50;
  const ctx: ActorContext = {
    client: new KubeClient(transport, { name: 'bench-tenant-0' }),
    names: new FlowControlNames(),
    collector,
    rng: createRng(scenario.spec.seed).fork(`${group.name}/0`),
    clock,
    originMs,
    deadlineMs: scenario.spec.duration,
    signal: stop.signal,
    run: { id: 'bench', scenario, labelKey: RUN_LABEL },
  };
  const actor = createTenant(group, instance, ctx);

  await clock.sleepUntil(originMs);
  const started = windowStart();
  const loop = new EventLoopMonitor();
  const snapshots: IntervalSnapshot[] = [];
  const tickerStop = new AbortController();
  let nextTick = originMs + INTERVAL_MS;
  const ticker = (async () => {
    // Bounded: one tick per interval of the run.
    while (!tickerStop.signal.aborted && nextTick <= originMs + scenario.spec.duration) {
      await clock.sleepUntil(nextTick, tickerStop.signal);
      if (tickerStop.signal.aborted) break;
      snapshots.push(...collector.snapshot(Math.round((nextTick - originMs) / INTERVAL_MS) - 1));
      nextTick += INTERVAL_MS;
    }
  })();
  await actor.run();
  tickerStop.abort();
  await ticker;
  snapshots.push(...collector.snapshot(Math.floor((clock.now() - originMs) / INTERVAL_MS)));
  const cpu = windowSince(started);
  const wallMs = clock.now() - originMs;
  const total = loop.total();
  loop.stop();
  await transport.close();
  return {
    group,
    snapshots,
    cpu,
    wallMs,
    scheduled,
    utilization: total.utilization,
    eventLoopDelayP99Ms: total.eventLoopDelayMs.p99,
    loop: total,
  };
}

async function main(): Promise<void> {
  if (warmupS > 0) await runEngine(warmupS);
  const run = await runEngine(durationS);
  const merged = mergeSnapshots(run.snapshots, INTERVAL_MS);
  const totals = merged.totals[0];
  if (totals === undefined) throw new Error('the run recorded nothing');
  const ok = Object.entries(totals.byCode)
    .filter(([code]) => !isErrorCode(code))
    .reduce((sum, [, n]) => sum + n, 0);
  const health = generatorHealth(run.loop, totals.scheduleLagMs.p99);
  const cap = capInput(run.group, totals);
  const caps = judgeCaps(cap === undefined ? [] : [cap], health.saturated);
  const result: RunnerResult = {
    generator: protocol === 'h2' ? 'apfbench h2' : 'apfbench',
    mode: values.mode === 'max' ? 'max' : `rate ${rate}/s`,
    requests: ok,
    errors: totals.completed - ok,
    ...run.cpu,
    wallMs: run.wallMs,
    timerResolutionMs,
    schedule: {
      scheduled: run.scheduled,
      sent: totals.sent,
      dropped: totals.dropped,
      lagMs: {
        p50: totals.scheduleLagMs.p50,
        p99: totals.scheduleLagMs.p99,
        max: totals.scheduleLagMs.max,
      },
      latencyP99Ms: totals.latencyMs.p99,
      eventLoopUtilization: run.utilization,
      saturated: health.saturated,
      reasons: health.reasons,
      cappedReasons: caps.cappedReasons,
    },
  };
  emitResult(result);
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) fail(`${flag} must be a number > 0 (got ${text})`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`apfbench-runner: ${message}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`apfbench-runner: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
