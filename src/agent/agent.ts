/**
 * `apfbench agent`: runs a shard of a coordinator's runs. It dials the coordinator, answers its
 * clock probes, and for each run it is assigned (one for `run`, one per profile for `compare`)
 * builds its instances on its own worker threads (engine/worker.ts, the same code as a local
 * run), starts them at the coordinator's start instant translated into its own clock, and relays
 * each worker's messages (interval, unauthorized, done, failed) as they come, and the
 * coordinator's new tokens to its workers. It ends when the coordinator ends the session between
 * runs.
 *
 * Its write ledger is its own (a SharedArrayBuffer cannot cross machines); the coordinator places
 * instances that share one (a controller's object set) on one agent, and the agent sends its
 * ledger's figures with the run's last Final, which the coordinator adds to its own.
 */
import { hostname } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ApfbenchError } from '../errors.js';
import type { KubeTarget } from '../kube/index.js';
import type { Scenario } from '../actors/scenario.js';
import { RUN_LABEL } from '../actors/index.js';
import { spawnWorker } from '../engine/coordinator.js';
import { writeLedgerMeasurement, type WriteLedgerMeasurement } from '../engine/load-side.js';
import { planRun, planShard } from '../engine/plan.js';
import type { FromWorker, ToWorker, WorkerInit } from '../engine/protocol.js';
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
  ledgerToWire,
  loopToWire,
  snapshotToWire,
} from '../wire/snapshot.js';
import { ProcessSampler } from '../engine/harness-cost.js';
import type { ProcessCost } from '../metrics/process-cost.js';
import { toolVersion } from '../version.js';
import { nowEpochMs } from './coordinator-server.js';
import { checkCoordinatorTls, type AgentTls } from './tls.js';

export interface AgentOptions {
  /** HOST:PORT of the coordinator's agent listener. */
  readonly coordinator: string;
  readonly index: number;
  /** The shared secret; may be empty when the coordinator takes mutual TLS alone. */
  readonly token: string;
  /** TLS to the coordinator: without it, plaintext. */
  readonly tls?: AgentTls | undefined;
  /** Reported to the coordinator; the machine's host name by default. */
  readonly host?: string;
  /** How long to wait for the coordinator to answer the first connection. */
  readonly connectTimeoutMs?: number;
  /** Ctrl-C: stop the workers (they drain and report), then end. */
  readonly signal?: AbortSignal;
  readonly onPhase?: (line: string) => void;
}

/** One run an agent took part in. */
export interface AgentRunOutcome {
  readonly runId: string;
  readonly instances: number;
  readonly workers: number;
}

/** The runs of one agent session, in order (`compare` runs one per profile on the same session). */
export interface AgentOutcome {
  readonly runs: readonly AgentRunOutcome[];
}

/** Runs one agent session to its end. Throws APFBENCH_AGENT_REFUSED or APFBENCH_AGENT_UNREACHABLE. */
export async function runAgent(o: AgentOptions): Promise<AgentOutcome> {
  const say = o.onPhase ?? (() => {});
  const timeout = o.connectTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeout;
  // gRPC retries a failed handshake in silence: shake hands first, to name what is wrong.
  if (o.tls !== undefined) await checkCoordinatorTls(o.coordinator, o.tls, deadline);
  const { client, session: openSession } = coordinatorClient(o.coordinator, o.tls);
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(deadline, (err) => (err ? reject(err) : resolve())),
    ).catch((cause: unknown) => {
      throw new ApfbenchError(
        'APFBENCH_AGENT_UNREACHABLE',
        `agent ${o.index}: no coordinator answered at ${o.coordinator} within ${timeout / 1000} s`,
        {
          cause,
          hint:
            o.tls === undefined
              ? 'start `apfbench run --agents N` first, or check --coordinator; if the coordinator serves TLS (--agent-tls-cert), give the agent --agent-ca'
              : 'start `apfbench run --agents N` first, or check --coordinator',
        },
      );
    });
    return await session(openSession(), o, say);
  } finally {
    client.close();
  }
}

/** The run an agent is taking part in: its worker threads and its own write ledger. */
interface CurrentRun {
  readonly outcome: AgentRunOutcome;
  readonly workers: Worker[];
  readonly ledger: WriteLedgerMeasurement;
  pending: number;
  /** This agent's own cost, from the assignment to the run's last worker report. */
  readonly sampler: ProcessSampler;
  readonly spec: { readonly warmup: number; readonly duration: number };
  startEpoch?: number;
  stopEpoch?: number;
}

/** The agent's process cost over its part of the run, and over the measured window where known. */
function agentProcess(r: CurrentRun): ProcessCost | undefined {
  const window =
    r.startEpoch === undefined
      ? undefined
      : {
          fromMs: r.startEpoch + r.spec.warmup,
          toMs: Math.min(r.startEpoch + r.spec.duration, r.stopEpoch ?? Infinity),
        };
  return r.sampler.stop(window);
}

function session(
  call: AgentStream,
  o: AgentOptions,
  say: (line: string) => void,
): Promise<AgentOutcome> {
  const runs: AgentRunOutcome[] = [];
  let run: CurrentRun | undefined;
  let settled = false;
  const write = (m: Outgoing<AgentMessage>) => {
    if (!settled) call.write(m);
  };
  const post = (m: ToWorker) => {
    if (m.type === 'stop' && run !== undefined) run.stopEpoch ??= nowEpochMs();
    for (const w of run?.workers ?? []) w.postMessage(m);
  };

  return new Promise<AgentOutcome>((resolve, reject) => {
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      unlisten();
      run?.sampler.stop(undefined);
      void Promise.all((run?.workers ?? []).map((w) => w.terminate())).then(() => {
        if (err !== undefined) reject(err);
        else resolve({ runs });
      });
      call.end();
    };
    const onAbort = () => (run === undefined ? finish(interrupted()) : post({ type: 'stop' }));
    o.signal?.addEventListener('abort', onAbort);
    const unlisten = () => o.signal?.removeEventListener('abort', onAbort);
    const interrupted = () =>
      new ApfbenchError('APFBENCH_INTERRUPTED', `agent ${o.index} interrupted`, {
        kind: 'interrupted',
      });

    /** A worker reported its last message; the last one of the run ends it. */
    const workerDone = (r: CurrentRun, final?: Outgoing<AgentMessage> & { final: object }) => {
      const last = --r.pending === 0;
      // The ledger is final once every worker is done: it goes with the run's last Final.
      if (final !== undefined) {
        const cost = last ? agentProcess(r) : undefined;
        write(
          last
            ? {
                final: {
                  ...final.final,
                  ledger: ledgerToWire(r.ledger.scan()),
                  ...(cost === undefined
                    ? {}
                    : { agentProcess: doneExtrasToWire({ agentProcess: cost }).agentProcess }),
                },
              }
            : final,
        );
      }
      if (!last) return;
      say(`agent ${o.index}: run ${r.outcome.runId}: every worker reported`);
      void Promise.all(r.workers.map((w) => w.terminate()));
      run = undefined;
      if (o.signal?.aborted === true) finish(interrupted());
    };

    const assign = async (a: WireAssignment) => {
      if (run !== undefined) {
        throw new ApfbenchError(
          'APFBENCH_AGENT_UNREACHABLE',
          `agent ${o.index}: the coordinator assigned run ${a.runId} before run ${run.outcome.runId} ended`,
        );
      }
      const scenario = JSON.parse(a.scenarioJson) as Scenario;
      const target = JSON.parse(a.targetJson) as KubeTarget;
      const names = JSON.parse(a.namesJson) as WorkerInit['names'];
      const instances = a.instances.map((i) => ({
        group: i.group,
        index: i.index,
        count: i.count,
        identity: identityFromWire(i.identity),
      }));
      const plans = planShard(scenario, instances, Math.max(1, a.workers));
      const outcome = { runId: a.runId, instances: instances.length, workers: plans.length };
      runs.push(outcome);
      if (plans.length === 0) {
        // More agents than the sharding had instances for: this one has nothing to run.
        say(`agent ${o.index}: nothing to run in this run; waiting for the next`);
        write({ ready: { workers: 0 } });
        return;
      }
      say(
        `agent ${o.index}: run ${a.runId}, ${instances.length} instances on ${plans.length} worker thread(s)`,
      );
      const r: CurrentRun = {
        outcome,
        workers: [],
        ledger: writeLedgerMeasurement(scenario, planRun(scenario, 1).writes),
        pending: plans.length,
        sampler: new ProcessSampler(),
        spec: scenario.spec,
      };
      run = r;
      const byKey = new Map(instances.map((i) => [`${i.group}/${i.index}`, i]));
      await Promise.all(
        plans.map(
          (plan, i) =>
            new Promise<void>((ready, failed) => {
              const w = spawnWorker();
              r.workers.push(w);
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
                } else if (m.type === 'unauthorized') {
                  write({
                    unauthorized: { workerIndex, credential: m.credential, token: m.token },
                  });
                } else if (m.type === 'done') {
                  reported = true;
                  workerDone(r, {
                    final: {
                      workerIndex: m.workerIndex,
                      snapshots: m.snapshots.map(snapshotToWire),
                      health: healthToWire(m.health),
                      abandoned: m.abandoned,
                      connections: (m.connections ?? []).map((c) => ({ ...c })),
                      ...doneExtrasToWire(m),
                    },
                  });
                } else if (m.type === 'failed' || m.type === 'lost') {
                  reported = true;
                  write({ failure: { workerIndex: m.workerIndex, message: m.message } });
                  workerDone(r);
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
                workerDone(r);
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
                ...r.ledger.workerInit,
                // Refreshable credentials' tokens: Token messages bring the new ones.
                tokens: a.tokens,
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
          if (run !== undefined) run.startEpoch = m.start.startAtEpochMs + m.start.offsetMs;
          return post({
            type: 'start',
            startAtEpochMs: m.start.startAtEpochMs + m.start.offsetMs,
          });
        case 'token':
          return post({ type: 'token', credential: m.token.credential, token: m.token.token });
        case 'stop':
          return post({ type: 'stop' });
      }
    });
    const gone = (why: string) => {
      if (settled) return;
      // Between runs, the coordinator ending the session means it has no more runs.
      if (run === undefined && runs.length > 0 && why === ENDED) return finish();
      if (run !== undefined) post({ type: 'stop' });
      finish(
        new ApfbenchError('APFBENCH_AGENT_UNREACHABLE', `agent ${o.index}: ${why}`, {
          hint: 'the coordinator stopped or the network failed; its run records this agent as lost',
        }),
      );
    };
    call.on('error', (err) => gone(`the coordinator stream failed: ${err.message}`));
    call.on('end', () => gone(ENDED));
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

const ENDED = 'the coordinator ended the session';
