/**
 * Remote agents' worker threads as the coordinator's worker handles (engine/worker-handle.ts):
 * runScenario drives them exactly as it drives local threads, and merges what they post in the
 * same aggregators. Each agent gets its shard (engine/plan.ts shardOverAgents) and runs it on
 * `workersPerAgent` threads, split by planShard on both sides alike, so the coordinator knows
 * every remote worker's instances without asking.
 */
import { EventEmitter } from 'node:events';
import {
  planShard,
  shardOverAgents,
  type PlacedInstance,
  type WorkerPlan,
} from '../engine/plan.js';
import type { FromWorker, InstanceAssignment, ToWorker } from '../engine/protocol.js';
import type { WorkerHandle, WorkerPlacement } from '../engine/worker-handle.js';
import type { AgentResult } from '../result/result.js';
import type { Scenario } from '../actors/scenario.js';
import {
  doneExtrasFromWire,
  healthFromWire,
  identityToWire,
  ledgerFromWire,
  loopFromWire,
  snapshotFromWire,
} from '../wire/snapshot.js';
import type { WireAssignment } from '../wire/agent-wire.js';
import type { AgentSession, SessionEvent } from './coordinator-server.js';

type Init = Extract<ToWorker, { type: 'init' }>;
const keyOf = (i: PlacedInstance) => `${i.group}/${i.index}`;

/** One remote worker thread. */
class RemoteWorker extends EventEmitter implements WorkerHandle {
  finished = false;
  constructor(
    private readonly link: AgentLink,
    readonly local: number,
  ) {
    super();
  }
  postMessage(message: ToWorker): void {
    this.link.fromCoordinator(this.local, message);
  }
  terminate(): Promise<number> {
    this.finished = true;
    setImmediate(() => this.emit('exit', 0));
    return Promise.resolve(0);
  }
}

/** One agent: its session, its shard and its workers' handles. */
class AgentLink {
  readonly workers: RemoteWorker[];
  private readonly inits = new Map<number, Init>();
  private started = false;
  private stopped = false;
  status: AgentResult['status'] = 'completed';
  private readonly lost: RemoteWorker[] = [];
  reason: string | undefined;

  constructor(
    readonly session: AgentSession,
    readonly instances: readonly PlacedInstance[],
    readonly plans: readonly WorkerPlan[],
    readonly base: number,
  ) {
    this.workers = plans.map((_, j) => new RemoteWorker(this, j));
    session.onEvent((e) => this.fromAgent(e));
  }

  /** Tells an agent the sharding left without instances that it has nothing to run; it ends. */
  release(scenario: Scenario): void {
    void this.session
      .assign({
        runId: '',
        labelKey: '',
        scenarioJson: JSON.stringify(scenario),
        targetJson: '{}',
        namesJson: '{"flowSchemas":{},"priorityLevels":{}}',
        instances: [],
        workers: 0,
        workerIndexBase: this.base,
        intervalMs: 0,
        drainMs: 0,
        serverVersion: '',
        tokens: {},
      })
      .catch(() => {});
  }

  fromCoordinator(local: number, m: ToWorker): void {
    if (m.type === 'init') {
      this.inits.set(local, m);
      if (this.inits.size === this.workers.length) this.assign();
    } else if (m.type === 'start' && !this.started) {
      this.started = true;
      this.session.start(m.startAtEpochMs);
    } else if (m.type === 'stop' && !this.stopped) {
      this.stopped = true;
      this.session.stop();
    } else if (m.type === 'token' && local === 0) {
      // Posted to every worker alike: one message per agent, which hands it to all its threads.
      this.session.token(m.credential, m.token);
    }
  }

  private assign(): void {
    const first = this.inits.get(0)!;
    const identities = new Map<string, InstanceAssignment>();
    for (const init of this.inits.values())
      for (const i of init.instances) identities.set(keyOf(i), i);
    const assignment: WireAssignment = {
      runId: first.runId,
      labelKey: first.labelKey,
      scenarioJson: JSON.stringify(first.scenario),
      targetJson: JSON.stringify(first.target),
      namesJson: JSON.stringify(first.names),
      instances: this.instances.map((p) => ({
        group: p.group,
        index: p.index,
        count: p.count,
        identity: identityToWire(identities.get(keyOf(p))!.identity),
      })),
      workers: this.workers.length,
      workerIndexBase: this.base,
      intervalMs: first.intervalMs,
      drainMs: first.drainMs,
      serverVersion: first.serverVersion ?? '',
      tokens: { ...first.tokens },
    };
    this.session.assign(assignment).then(
      () => this.broadcast({ type: 'ready' }),
      () => {}, // a lost agent says so through its events
    );
  }

  private broadcast(m: FromWorker): void {
    for (const w of this.workers) w.emit('message', m);
  }

  private worker(workerIndex: number): RemoteWorker | undefined {
    return this.workers[workerIndex - this.base];
  }

  private fromAgent(e: SessionEvent): void {
    switch (e.body) {
      case 'interval': {
        const m = e.interval;
        this.worker(m.workerIndex)?.emit('message', {
          type: 'interval',
          workerIndex: m.workerIndex,
          snapshots: m.snapshots.map(snapshotFromWire),
          loop: loopFromWire(m.loop),
        } satisfies FromWorker);
        return;
      }
      case 'final': {
        const m = e.final;
        const w = this.worker(m.workerIndex);
        if (w !== undefined) w.finished = true;
        w?.emit('message', {
          type: 'done',
          workerIndex: m.workerIndex,
          snapshots: m.snapshots.map(snapshotFromWire),
          health: healthFromWire(m.health),
          abandoned: m.abandoned,
          ...doneExtrasFromWire(m),
          connections: m.connections,
          ...(m.ledger === null ? {} : { ledger: ledgerFromWire(m.ledger) }),
        } satisfies FromWorker);
        return;
      }
      case 'unauthorized':
        this.worker(e.unauthorized.workerIndex)?.emit('message', {
          type: 'unauthorized',
          credential: e.unauthorized.credential,
          token: e.unauthorized.token,
        } satisfies FromWorker);
        return;
      case 'failure':
        this.worker(e.failure.workerIndex)?.emit('message', {
          type: 'failed',
          workerIndex: e.failure.workerIndex,
          message: `agent ${this.session.index}: ${e.failure.message}`,
        } satisfies FromWorker);
        return;
      case 'lost': {
        const unfinished = this.workers.filter((w) => !w.finished);
        if (unfinished.length === 0) return; // the agent ended its stream after its last final
        this.status = 'lost';
        this.reason = e.message;
        this.lost.push(...unfinished);
        const lost = this.lostInstances();
        for (const w of unfinished) {
          w.finished = true;
          w.emit('message', {
            type: 'lost',
            workerIndex: this.base + w.local,
            message: `agent ${this.session.index} (${this.session.hello.host}) lost: ${e.message}; its instances ${lost.join(', ')} stopped sending; its intervals until then are kept`,
          } satisfies FromWorker);
        }
        return;
      }
    }
  }

  lostInstances(): string[] {
    return this.lost.flatMap((w) => this.plans[w.local]!.instances.map(keyOf));
  }
}

/** The agents of one run. Build it once every agent has joined. */
export class RemoteAgents {
  private readonly links: AgentLink[] = [];

  constructor(sessions: readonly AgentSession[], scenario: Scenario, workersPerAgent: number) {
    const shards = shardOverAgents(scenario, sessions.length);
    let base = 0;
    for (const session of sessions) {
      const instances = shards[session.index] ?? [];
      const plans = planShard(scenario, instances, workersPerAgent);
      const link = new AgentLink(session, instances, plans, base);
      if (plans.length === 0) link.release(scenario);
      this.links.push(link);
      base += plans.length;
    }
  }

  placement(): WorkerPlacement {
    const workers = this.links.flatMap((l) => l.workers);
    const plans = this.links.flatMap((l) => l.plans);
    return {
      shards: plans.map((p) => p.instances),
      connections: plans.map((p) => p.connections),
      spawn: (i) => workers[i]!,
    };
  }

  /** The result's `agents` section. */
  results(): AgentResult[] {
    return this.links.map((l) => ({
      index: l.session.index,
      host: l.session.hello.host,
      offsetMs: round3(l.session.clock.offsetMs),
      rttMs: round3(l.session.clock.rttMs),
      instances: l.instances.length,
      workers: l.workers.length,
      status: l.status,
      ...(l.reason === undefined ? {} : { reason: l.reason }),
      ...(l.status === 'lost' ? { lostInstances: l.lostInstances() } : {}),
    }));
  }
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;
