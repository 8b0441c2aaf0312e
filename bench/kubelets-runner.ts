/**
 * One `bench/kubelets.ts` row in its own process: N simulated kubelets run by the real engine
 * (`runScenario`: coordinator, worker threads, the kubelet actor, its transport), against the
 * bench's responder or a real API server. The steady state is measured after the warm-up, in
 * which every node registers, creates its Lease, lists its pods and opens its watch: the CPU of
 * the whole process (every thread) over the measured window, the resident set at its end and the
 * server's own CPU over the same window from its /metrics `process_cpu_seconds_total`. The
 * event loop of the main thread is watched over the whole run (the workers' is in the result's
 * `generator` section), for the worst block and the phase it fell in.
 *
 * Usage: node --import tsx bench/kubelets-runner.ts --count 1000 --duration 60 --warmup 15
 *        (--url http://127.0.0.1:PORT [--admin-url URL] | --kubeconfig FILE) [--protocol http1|h2]
 *        [--connection shared|per-actor] [--workers 1]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseScenario, type Scenario } from '../src/actors/scenario.js';
import { generateIdentities } from '../src/cluster/identities.js';
import { runScenario, spawnWorker, type RunTarget } from '../src/engine/coordinator.js';
import { planRun } from '../src/engine/plan.js';
import type { FromWorker } from '../src/engine/protocol.js';
import { IdentityResolver } from '../src/engine/identities.js';
import { openTarget, scenarioUsers } from '../src/engine/target.js';
import { KubeClient, Transport } from '../src/kube/index.js';
import { scrapeMetrics } from '../src/kube/metrics.js';
import { counterDelta, type MetricsSnapshot } from '../src/metrics/server-metrics.js';
import { RESULT_PREFIX } from './runner-protocol.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '15' },
    url: { type: 'string' },
    'admin-url': { type: 'string' },
    kubeconfig: { type: 'string' },
    protocol: { type: 'string', default: 'http1' },
    connection: { type: 'string', default: 'shared' },
    workers: { type: 'string', default: '1' },
  },
});

/** What the runner prints, after `RESULT_PREFIX`, for `bench/kubelets.ts`. */
export interface KubeletsRunnerResult {
  readonly count: number;
  readonly transport: string;
  readonly server: 'responder' | 'kube-apiserver';
  /** The measured window, ms, and the CPU of this whole process (all threads) over it. */
  readonly windowMs: number;
  readonly cpuMs: number;
  /** The server's CPU over the same window, from its /metrics; undefined when it has none. */
  readonly serverCpuMs: number | undefined;
  /** Resident set at the end of the window, and the most it ever was (the kernel's maxrss). */
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  /** Main thread: the longest event-loop block, ms, and the phase it fell in. */
  readonly mainStallMs: number;
  readonly mainStallPhase: string;
  /** Worker threads: the longest event-loop block of any interval, ms, and its phase. */
  readonly workerStallMs: number;
  readonly workerStallPhase: string;
  /** Worker threads, from the result's generator section (the measured window and drain). */
  readonly workerLoopDelayMaxMs: number;
  readonly scheduleLagP99Ms: number;
  readonly saturated: boolean;
  readonly registered: number;
  readonly renewals: number;
  readonly late: number;
  readonly missed: number;
  readonly errors: number;
}

const count = whole(values.count ?? fail('--count is required'), '--count');
const durationS = whole(values.duration, '--duration');
const warmupS = whole(values.warmup, '--warmup');
const workers = whole(values.workers, '--workers');
if (values.protocol !== 'http1' && values.protocol !== 'h2') fail('--protocol is http1 or h2');
if (values.connection !== 'shared' && values.connection !== 'per-actor')
  fail('--connection is shared or per-actor');
if ((values.url === undefined) === (values.kubeconfig === undefined))
  fail('give one of --url (the responder) and --kubeconfig (a real API server)');

function scenario(): Scenario {
  const yaml = `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata:
  name: kubelets-bench
spec:
  duration: ${warmupS + durationS}s
  warmup: ${warmupS}s
  seed: 11
  actors:
    - name: kubelets
      type: kubelet
      count: ${count}
      leaseDuration: 40s
      renewInterval: 10s
      statusUpdateFrequency: 10s
      statusReportInterval: 5m
      watchPods: true
      transport: { protocol: ${values.protocol}, connection: ${values.connection} }
`;
  const parsed = parseScenario(yaml, 'bench/kubelets-runner.ts (inline)');
  if (!parsed.ok) fail(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return parsed.scenario;
}

/** The responder as a run's target: every node with a token of its own, as on a local cluster. */
function responderTarget(
  url: string,
  adminUrl: string,
  s: Scenario,
): { run: RunTarget; close(): Promise<void> } {
  const target = { server: url };
  const ids = generateIdentities({ nodes: 0, tenants: 0, serviceAccounts: 0 }, scenarioUsers(s));
  const adminIdentity = { name: 'admin', token: ids.admin.token };
  // Set-up and /metrics over HTTP/1.1 (`adminUrl`), whatever the load's protocol.
  const admin = new KubeClient(
    new Transport({ server: adminUrl }, { connections: 4 }),
    adminIdentity,
  );
  return {
    run: {
      target,
      admin,
      identities: new IdentityResolver(adminIdentity, ids),
      serverVersion: 'v1.34.0-responder',
      local: false,
    },
    close: () => admin.transport.close(),
  };
}

async function serverCpuS(admin: KubeClient): Promise<MetricsSnapshot | undefined> {
  try {
    return await scrapeMetrics(admin, { families: new Set(['process_cpu_seconds_total']) });
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const s = scenario();
  const open =
    values.url !== undefined
      ? responderTarget(values.url, values['admin-url'] ?? values.url, s)
      : await openTarget(s, { cluster: { kind: 'file', file: values.kubeconfig! } });
  const { admin } = open.run;

  // The main thread's event loop, phase by phase: the longest block and when it was.
  let phase = 'set-up';
  let worst = { ms: 0, phase };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const phaseTimer = setInterval(() => {
    const max = loop.max / 1e6;
    if (max > worst.ms) worst = { ms: max, phase };
    loop.reset();
  }, 250);

  const measureWindow = async (startEpochMs: number) => {
    const at = (s: number) =>
      new Promise<void>((r) => setTimeout(r, startEpochMs + s * 1000 - Date.now()));
    await at(0);
    phase = 'warm-up (registration, first LIST and watch)';
    await at(warmupS);
    phase = 'measured';
    const cpu0 = process.cpuUsage();
    const server0 = await serverCpuS(admin);
    const t0 = performance.now();
    await at(warmupS + durationS);
    const cpu = process.cpuUsage(cpu0);
    const windowMs = performance.now() - t0;
    const server1 = await serverCpuS(admin);
    const rssBytes = process.memoryUsage().rss;
    phase = 'drain and clean-up';
    const serverCpuMs =
      server0 === undefined || server1 === undefined
        ? undefined
        : (counterDelta(server0, server1, 'process_cpu_seconds_total', [])[''] ?? NaN) * 1000;
    return { windowMs, cpuMs: (cpu.user + cpu.system) / 1000, serverCpuMs, rssBytes };
  };
  let window: ReturnType<typeof measureWindow> | undefined;

  // The workers' own loop samples, per interval, by the phase the interval ended in.
  let workerWorst = { ms: 0, phase };
  const plan = planRun(s, workers);
  const placement = {
    shards: plan.workers.map((w) => w.instances),
    connections: plan.workers.map((w) => w.connections),
    spawn: () => {
      const worker = spawnWorker();
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'interval' && m.loop.eventLoopDelayMs.max > workerWorst.ms)
          workerWorst = { ms: m.loop.eventLoopDelayMs.max, phase };
      });
      return worker;
    },
  };
  const result = await runScenario(s, open.run, {
    placement,
    onPhase: (line) => process.stderr.write(`  ${line}\n`),
    onStart: (epoch) => {
      window = measureWindow(epoch);
    },
  });
  const measured = await window;
  if (measured === undefined) throw new Error('the run never started');
  clearInterval(phaseTimer);
  loop.disable();
  await open.close();

  const group = result.actors.kubelets;
  if (group?.type !== 'kubelet') throw new Error('the result has no kubelet group');
  const errors = Object.entries(group.requests.byCode)
    // A Lease's first GET is a 404 by design (it is then created).
    .filter(([code]) => !code.startsWith('2') && code !== '404')
    .reduce((n, [, v]) => n + v, 0);
  const out: KubeletsRunnerResult = {
    count,
    transport: `${values.protocol} ${values.connection}`,
    server: values.url !== undefined ? 'responder' : 'kube-apiserver',
    ...measured,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    mainStallMs: worst.ms,
    mainStallPhase: worst.phase,
    workerStallMs: workerWorst.ms,
    workerStallPhase: workerWorst.phase,
    workerLoopDelayMaxMs: result.generator.eventLoopDelayMs.max,
    scheduleLagP99Ms: result.generator.scheduleLagMs.p99,
    saturated: result.generator.saturated,
    registered: group.nodes.registered,
    renewals: group.heartbeats.renewals,
    late: group.heartbeats.late,
    missed: group.heartbeats.missed,
    errors,
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(out)}\n`);
}

function whole(text: string, flag: string): number {
  const n = Number(text);
  if (!(Number.isInteger(n) && n > 0)) fail(`${flag} must be an integer > 0 (got ${text})`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`kubelets-runner: ${message}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`kubelets-runner: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
