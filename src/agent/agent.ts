/**
 * `apfbench agent`: runs a shard of a coordinator's run. It dials the coordinator, answers its
 * clock probes, builds its assigned instances on its own worker threads (engine/worker.ts, the
 * same code as a local run), starts them at the coordinator's start instant translated into its
 * own clock, and relays each worker's messages (interval, done, failed) as they come. It ends when
 * every worker has reported its last one.
 *
 * Its write ledger is its own (a SharedArrayBuffer cannot cross machines): a watcher on this
 * agent sees only the writes of this agent's instances in it.
 */
import { hostname } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ApfbenchError } from '../errors.js';
import type { KubeTarget } from '../kube/index.js';
import type { Scenario } from '../actors/scenario.js';
import { RUN_LABEL } from '../actors/index.js';
import { spawnWorker } from '../engine/coordinator.js';
import { writeLedgerMeasurement } from '../engine/load-side.js';
import { planRun, planShard } from '../engine/plan.js';
import type { FromWorker, ToWorker } from '../engine/protocol.js';
import {
  PROTOCOL_VERSION,
  coordinatorClient,
  type AgentMessage,
  type AgentStream,
  type CoordinatorMessage,
  type Outgoing,
  type WireAssignment,
} from '../wire/agent-wire.js';
import {
  doneExtrasToWire,
  healthToWire,
  identityFromWire,
  loopToWire,
  snapshotToWire,
} from '../wire/snapshot.js';
import { ProcessSampler } from '../engine/harness-cost.js';
import type { ProcessCost } from '../metrics/process-cost.js';
import { toolVersion } from '../version.js';
import { nowEpochMs } from './coordinator-server.js';

export interface AgentOptions {
  /** HOST:PORT of the coordinator's agent listener. */
  readonly coordinator: string;
  readonly index: number;
  readonly token: string;
  /** Reported to the coordinator; the machine's host name by default. */
  readonly host?: string;
  /** How long to wait for the coordinator to answer the first connection. */
  readonly connectTimeoutMs?: number;
  /** Ctrl-C: stop the workers (they drain and report), then end. */
  readonly signal?: AbortSignal;
  readonly onPhase?: (line: string) => void;
}

export interface AgentOutcome {
  readonly runId: string;
  readonly instances: number;
  readonly workers: number;
}

/** Runs one agent session to its end. Throws APFBENCH_AGENT_REFUSED or APFBENCH_AGENT_UNREACHABLE. */
export async function runAgent(o: AgentOptions): Promise<AgentOutcome> {
  const say = o.onPhase ?? (() => {});
  const { client, session: openSession } = coordinatorClient(o.coordinator);
  const timeout = o.connectTimeoutMs ?? 120_000;
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + timeout, (err) => (err ? reject(err) : resolve())),
    ).catch((cause: unknown) => {
      throw new ApfbenchError(
        'APFBENCH_AGENT_UNREACHABLE',
        `agent ${o.index}: no coordinator answered at ${o.coordinator} within ${timeout / 1000} s`,
        { cause, hint: 'start `apfbench run --agents N` first, or check --coordinator' },
      );
    });
    return await session(openSession(), o, say);
  } finally {
    client.close();
  }
}

function session(
  call: AgentStream,
  o: AgentOptions,
  say: (line: string) => void,
): Promise<AgentOutcome> {
  const workers: Worker[] = [];
  let pendingWorkers = 0;
  // This agent's own cost, from its assignment to its last worker's report, sent with that report.
  let sampler: ProcessSampler | undefined;
  let spec: { readonly warmup: number; readonly duration: number } | undefined;
  let startEpoch: number | undefined;
  let stopEpoch: number | undefined;
  const agentProcess = (): ProcessCost | undefined => {
    const window =
      spec === undefined || startEpoch === undefined
        ? undefined
        : {
            fromMs: startEpoch + spec.warmup,
            toMs: Math.min(startEpoch + spec.duration, stopEpoch ?? Infinity),
          };
    return sampler?.stop(window);
  };
  let outcome: AgentOutcome | undefined;
  let settled = false;
  const write = (m: Outgoing<AgentMessage>) => {
    if (!settled) call.write(m);
  };
  const stopWorkers = () => {
    stopEpoch ??= nowEpochMs();
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
  };

  return new Promise<AgentOutcome>((resolve, reject) => {
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      unlisten();
      sampler?.stop(undefined);
      void Promise.all(workers.map((w) => w.terminate())).then(() => {
        if (err !== undefined) reject(err);
        else resolve(outcome!);
      });
      call.end();
    };
    const onAbort = () => (workers.length === 0 ? finish(interrupted()) : stopWorkers());
    o.signal?.addEventListener('abort', onAbort);
    const unlisten = () => o.signal?.removeEventListener('abort', onAbort);
    const interrupted = () =>
      new ApfbenchError('APFBENCH_INTERRUPTED', `agent ${o.index} interrupted`, {
        kind: 'interrupted',
      });

    const workerDone = () => {
      if (--pendingWorkers === 0) {
        say(`agent ${o.index}: every worker reported; done`);
        finish();
      }
    };

    const assign = async (a: WireAssignment) => {
      sampler = new ProcessSampler();
      const scenario = JSON.parse(a.scenarioJson) as Scenario;
      spec = scenario.spec;
      const target = JSON.parse(a.targetJson) as KubeTarget;
      const names = JSON.parse(a.namesJson) as Extract<ToWorker, { type: 'init' }>['names'];
      const instances = a.instances.map((i) => ({
        group: i.group,
        index: i.index,
        count: i.count,
        identity: identityFromWire(i.identity),
      }));
      const plans = planShard(scenario, instances, Math.max(1, a.workers));
      const ledger = writeLedgerMeasurement(scenario, planRun(scenario, 1).writes);
      say(
        `agent ${o.index}: run ${a.runId}, ${instances.length} instances on ${plans.length} worker thread(s)`,
      );
      outcome = { runId: a.runId, instances: instances.length, workers: plans.length };
      if (plans.length === 0) {
        // More agents than the sharding had instances for: this one has nothing to run.
        write({ ready: { workers: 0 } });
        return finish();
      }
      const byKey = new Map(instances.map((i) => [`${i.group}/${i.index}`, i]));
      pendingWorkers = plans.length;
      await Promise.all(
        plans.map(
          (plan, i) =>
            new Promise<void>((ready, failed) => {
              const w = spawnWorker();
              workers.push(w);
              const workerIndex = a.workerIndexBase + i;
              let reported = false;
              w.on('message', (m: FromWorker) => {
                if (m.type === 'ready') ready();
                else if (m.type === 'interval') {
                  write({
                    interval: {
                      workerIndex: m.workerIndex,
                      snapshots: m.snapshots.map(snapshotToWire),
                      loop: loopToWire(m.loop),
                    },
                  });
                } else if (m.type === 'done') {
                  reported = true;
                  const last = pendingWorkers === 1 ? agentProcess() : undefined;
                  write({
                    final: {
                      workerIndex: m.workerIndex,
                      snapshots: m.snapshots.map(snapshotToWire),
                      health: healthToWire(m.health),
                      abandoned: m.abandoned,
                      ...doneExtrasToWire({
                        ...m,
                        ...(last === undefined ? {} : { agentProcess: last }),
                      }),
                    },
                  });
                  workerDone();
                } else if (m.type === 'failed' || m.type === 'lost') {
                  reported = true;
                  write({ failure: { workerIndex: m.workerIndex, message: m.message } });
                  workerDone();
                }
              });
              w.on('error', (err) => failed(err));
              w.on('exit', (code) => {
                if (reported) return;
                reported = true;
                write({
                  failure: {
                    workerIndex,
                    message: `worker exited with code ${code} before reporting`,
                  },
                });
                workerDone();
              });
              w.postMessage({
                type: 'init',
                workerIndex,
                runId: a.runId,
                labelKey: a.labelKey || RUN_LABEL,
                scenario,
                target,
                names,
                instances: plan.instances.map((p) => byKey.get(`${p.group}/${p.index}`)!),
                connections: plan.connections,
                intervalMs: a.intervalMs,
                drainMs: a.drainMs,
                ...(a.serverVersion === '' ? {} : { serverVersion: a.serverVersion }),
                ...ledger.workerInit,
                // The load identities' tokens come in the assignment and do not expire here.
                tokens: {},
              } satisfies ToWorker);
            }),
        ),
      );
      write({ ready: { workers: plans.length } });
    };

    call.on('data', (m: CoordinatorMessage) => {
      switch (m.body) {
        case 'refusal':
          return finish(
            new ApfbenchError('APFBENCH_AGENT_REFUSED', `coordinator refused ${m.refusal.message}`),
          );
        case 'clockProbe': {
          const received = nowEpochMs();
          return write({
            clockReply: {
              coordinatorSendMs: m.clockProbe.coordinatorSendMs,
              agentReceiveMs: received,
              agentSendMs: nowEpochMs(),
            },
          });
        }
        case 'assignment':
          return void assign(m.assignment).catch((err: unknown) =>
            finish(err instanceof Error ? err : new Error(String(err))),
          );
        case 'start':
          say(`agent ${o.index}: start`);
          startEpoch = m.start.startAtEpochMs + m.start.offsetMs;
          for (const w of workers) {
            w.postMessage({
              type: 'start',
              startAtEpochMs: m.start.startAtEpochMs + m.start.offsetMs,
            } satisfies ToWorker);
          }
          return;
        case 'stop':
          return stopWorkers();
      }
    });
    const gone = (why: string) => {
      if (settled) return;
      if (workers.length > 0 && pendingWorkers > 0) stopWorkers();
      finish(
        new ApfbenchError('APFBENCH_AGENT_UNREACHABLE', `agent ${o.index}: ${why}`, {
          hint: 'the coordinator stopped or the network failed; its run records this agent as lost',
        }),
      );
    };
    call.on('error', (err) => gone(`the coordinator stream failed: ${err.message}`));
    call.on('end', () => gone('the coordinator ended the session'));
    call.write({
      hello: {
        protocolVersion: PROTOCOL_VERSION,
        index: o.index,
        host: o.host ?? hostname(),
        token: o.token,
        toolVersion,
      },
    });
  });
}
