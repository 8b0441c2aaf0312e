/**
 * The coordinator's cost of merging agents' intervals: N synthetic agents (in a child process, so
 * that their CPU is not counted) join a real AgentServer over loopback gRPC and each send one
 * Interval a second, as an agent with one worker thread would: one snapshot per actor group with
 * latency, service-time and schedule-lag histograms of `--values` values each. The coordinator
 * (this process) decodes every Interval and adds it to the run's two TimelineAggregators (the
 * timeline, and the measured window's totals), as runScenario does. It
 * prints the coordinator's CPU per agent-interval and its share of one core. A figure, not a test.
 *
 * Usage: node --import tsx bench/agents-merge.ts [--agents 50] [--seconds 20] [--groups 4]
 *        [--values 2000]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AgentServer, nowEpochMs } from '../src/agent/coordinator-server.js';
import { createRecorder, encode, record } from '../src/metrics/histogram.js';
import type { IntervalSnapshot } from '../src/metrics/timeline-snapshot.js';
import { TimelineAggregator } from '../src/metrics/timeline-aggregator.js';
import {
  PROTOCOL_VERSION,
  coordinatorClient,
  type CoordinatorMessage,
} from '../src/wire/agent-wire.js';
import { snapshotFromWire, snapshotToWire } from '../src/wire/snapshot.js';

const TOKEN = 'bench';
const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    groups: { type: 'string', default: '4' },
    values: { type: 'string', default: '2000' },
    synthetic: { type: 'string' },
  },
});
const agents = Number(values.agents);
const seconds = Number(values.seconds);
const groups = Number(values.groups);
const perHistogram = Number(values.values);

/** One interval of one group: log-normal-ish latencies around 5 ms with a tail. */
function snapshot(group: number, intervalIndex: number): IntervalSnapshot {
  const h = createRecorder();
  for (let i = 0; i < perHistogram; i++) record(h, 2000 * Math.exp(Math.random() * 2.5));
  const encoded = encode(h);
  return {
    intervalIndex,
    group: `g${group}`,
    window: 'measured',
    sent: perHistogram,
    completed: perHistogram,
    dropped: 0,
    byCode: { '200': perHistogram - 10, '429': 10 },
    errors: 10,
    retries: 0,
    throttled: 10,
    latency: encoded,
    serviceTime: encoded,
    scheduleLag: encoded,
    clamped: 0,
    byKey: { 'get configmaps 200': perHistogram - 10, 'get configmaps 429': 10 },
    byPriorityLevel: { 'global-default': perHistogram },
    byFlowSchema: { 'global-default': perHistogram },
    counters: {},
    measures: {},
  };
}

/** The child: N sessions that answer the handshake, then send an Interval a second each. */
async function synthetic(address: string): Promise<void> {
  // Encoded once: the child's CPU is not what is measured, but it must keep up.
  const intervals = Array.from({ length: seconds + 1 }, (_, i) =>
    Array.from({ length: groups }, (_, g) => snapshotToWire(snapshot(g, i))),
  );
  await Promise.all(
    Array.from({ length: agents }, (_, index) => {
      const { client, session } = coordinatorClient(address);
      const call = session();
      return new Promise<void>((resolve) => {
        call.on('data', (m: CoordinatorMessage) => {
          if (m.body === 'clockProbe') {
            const t = nowEpochMs();
            call.write({
              clockReply: {
                coordinatorSendMs: m.clockProbe.coordinatorSendMs,
                agentReceiveMs: t,
                agentSendMs: t,
              },
            });
          } else if (m.body === 'assignment') call.write({ ready: { workers: 1 } });
          else if (m.body === 'start') {
            let i = 0;
            const timer = setInterval(() => {
              if (i === seconds) {
                clearInterval(timer);
                call.write({ final: { workerIndex: index, snapshots: intervals[i]! } });
                call.end();
                client.close();
                resolve();
                return;
              }
              call.write({ interval: { workerIndex: index, snapshots: intervals[i++]! } });
            }, 1000);
          }
        });
        call.write({
          hello: { protocolVersion: PROTOCOL_VERSION, index, host: 'synthetic', token: TOKEN },
        });
      });
    }),
  );
}

async function coordinator(): Promise<void> {
  const server = await AgentServer.listen({ listen: '127.0.0.1:0', token: TOKEN, agents });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
      '--synthetic',
      server.address,
    ],
    { stdio: 'inherit' },
  );
  const sessions = await server.waitForAgents(60_000);
  const timeline = new TimelineAggregator(1000);
  const measured = new TimelineAggregator(1000);
  let merged = 0;
  let mergeMs = 0;
  const finals = sessions.map(
    (s) =>
      new Promise<void>((resolve) =>
        s.onEvent((e) => {
          if (e.body === 'interval' || e.body === 'final') {
            const m = e.body === 'interval' ? e.interval : e.final;
            const t = performance.now();
            for (const w of m.snapshots) {
              // As runScenario ingests: the whole timeline, and the measured window's totals.
              const s = snapshotFromWire(w);
              timeline.add(s);
              if (s.window === 'measured') measured.add(s);
            }
            mergeMs += performance.now() - t;
            merged++;
          }
          if (e.body === 'final' || e.body === 'lost') resolve();
        }),
      ),
  );
  await Promise.all(sessions.map((s) => s.assign({} as never)));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const s of sessions) s.start(nowEpochMs());
  await Promise.all(finals);
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  // The aggregator's result is what a run reads at the end; part of the cost.
  const rows = timeline.result().timeline.length;
  await server.close();
  await new Promise((r) => child.on('exit', r));
  process.stdout.write(
    [
      `agents ${agents}, ${groups} groups × 3 histograms of ${perHistogram} values per interval, ${seconds} s`,
      `agent-intervals merged: ${merged} (timeline rows: ${rows})`,
      `coordinator CPU: ${cpuMs.toFixed(0)} ms over ${wallS.toFixed(1)} s wall`,
      `per agent-interval: ${(cpuMs / merged).toFixed(3)} ms, of which merging (decode + add) ${(mergeMs / merged).toFixed(3)} ms and gRPC the rest`,
      `share of one core at 1-second intervals: ${((100 * cpuMs) / 1000 / wallS).toFixed(1)} %`,
    ].join('\n') + '\n',
  );
}

if (values.synthetic !== undefined) await synthetic(values.synthetic);
else await coordinator();
