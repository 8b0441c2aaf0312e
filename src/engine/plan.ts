// The run plan: what a scenario will do, computed before anything starts, from the scenario and
// the worker count alone (no target, no sockets). runScenario shards and sizes by it, and
// `apfbench validate --plan` shows it.
import { availableParallelism } from 'node:os';
import { definitionOf } from '../actors/index.js';
import type { ActorGroup, Scenario } from '../actors/scenario.js';

/** One actor instance's place: its group, its index in the group and the group's size. */
export interface PlacedInstance {
  readonly group: string;
  readonly index: number;
  readonly count: number;
}

export interface GroupPlan {
  readonly name: string;
  readonly type: ActorGroup['type'];
  readonly instances: number;
  /**
   * Requests expected over the whole run and after the warm-up (ActorDefinition.expectedRequests);
   * absent when the type only answers other groups.
   */
  readonly requests?: { readonly total: number; readonly measured: number };
  /** Writes recorded in the run's write ledger (ActorDefinition.expectedWrites). */
  readonly writes: number;
  /** Connections each instance may use: its in-flight cap plus the ones it holds (watches). */
  readonly connectionsPerInstance: { readonly inFlight: number; readonly held: number };
}

export interface WorkerPlan {
  readonly instances: readonly PlacedInstance[];
  /** Instances by group name. */
  readonly byGroup: Readonly<Record<string, number>>;
  /** Size of the worker's connection pool. */
  readonly connections: number;
}

export interface FixturePlan {
  readonly kind: string;
  readonly namespace: string;
  readonly count: number;
  /** Payload bytes in all (before a Secret's base64). */
  readonly bytes: number;
}

export interface RunPlan {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly groups: readonly GroupPlan[];
  /** Only workers that got an instance: never more than there are instances. */
  readonly workers: readonly WorkerPlan[];
  readonly fixtures: readonly FixturePlan[];
  /** Σ of the groups' writes: what the write ledger is sized for. */
  readonly writes: number;
  /** spec.faults (ms from the measured window's start); absent: none. */
  readonly faults?: NonNullable<Scenario['spec']['faults']>;
}

/** A worker's pool never exceeds this many sockets for requests in flight. */
export const MAX_IN_FLIGHT_CONNECTIONS = 1024;

/**
 * One worker per spare core, at most four: on a small machine the API server
 * under test needs the other cores, and a saturated generator says so itself.
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

/** The worker count: the flag, else the scenario's `spec.workers`, else `defaultWorkers`. */
export function workerCount(scenario: Scenario, flag: number | undefined, cores?: number): number {
  return flag ?? scenario.spec.workers ?? defaultWorkers(cores);
}

/** Actor instances, round-robin over workers so that each worker gets a share of every group. */
export function shardInstances(scenario: Scenario, workers: number): PlacedInstance[][] {
  const shards: PlacedInstance[][] = Array.from({ length: workers }, () => []);
  let next = 0;
  for (const group of scenario.spec.actors) {
    for (let index = 0; index < group.count; index++) {
      shards[next++ % workers]!.push({ group: group.name, index, count: group.count });
    }
  }
  return shards.filter((s) => s.length > 0);
}

/**
 * HTTP/1.1 carries one request per socket: an instance may use its in-flight cap (its type's
 * `connections`, else `maxInFlight`, else 4); a held socket (a watch) never serves another
 * request, so those come on top.
 */
export function connectionsOf(group: ActorGroup): GroupPlan['connectionsPerInstance'] {
  const definition = definitionOf(group);
  return {
    inFlight: definition.connections?.(group) ?? ('maxInFlight' in group ? group.maxInFlight : 4),
    held: definition.heldConnections?.(group) ?? 0,
  };
}

function groupPlan(group: ActorGroup, scenario: Scenario): GroupPlan {
  const { duration, warmup } = scenario.spec;
  const definition = definitionOf(group);
  const before = definition.expectedRequests;
  const total = before?.(group, duration);
  return {
    name: group.name,
    type: group.type,
    instances: group.count,
    ...(before === undefined || total === undefined
      ? {}
      : { requests: { total, measured: total - before(group, warmup) } }),
    writes: definition.expectedWrites?.(group, duration) ?? 0,
    connectionsPerInstance: connectionsOf(group),
  };
}

function workerPlan(instances: readonly PlacedInstance[], groups: ReadonlyMap<string, GroupPlan>) {
  const byGroup: Record<string, number> = {};
  let inFlight = 0;
  let held = 0;
  for (const instance of instances) {
    byGroup[instance.group] = (byGroup[instance.group] ?? 0) + 1;
    const c = groups.get(instance.group)?.connectionsPerInstance;
    inFlight += c?.inFlight ?? 4;
    held += c?.held ?? 0;
  }
  const connections = Math.max(1, Math.min(MAX_IN_FLIGHT_CONNECTIONS, inFlight)) + held;
  return { instances, byGroup, connections };
}

/** The plan of `scenario` on `workers` worker threads. Pure. */
export function planRun(scenario: Scenario, workers: number): RunPlan {
  const groups = scenario.spec.actors.map((g) => groupPlan(g, scenario));
  const byName = new Map(groups.map((g) => [g.name, g]));
  return {
    durationMs: scenario.spec.duration,
    warmupMs: scenario.spec.warmup,
    groups,
    workers: shardInstances(scenario, workers).map((shard) => workerPlan(shard, byName)),
    fixtures: scenario.spec.fixtures.map((f) => ({
      kind: f.kind,
      namespace: f.namespace,
      count: f.count,
      bytes: f.count * f.size,
    })),
    writes: groups.reduce((n, g) => n + g.writes, 0),
    ...(scenario.spec.faults === undefined || scenario.spec.faults.length === 0
      ? {}
      : { faults: scenario.spec.faults }),
  };
}

/** FNV-1a, 32 bits: a stable spread of group names (not a security hash). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The agent index that owns the instances of `group` with share key `key` among `agents`
 * agents: an instance's key is its index, unless its type shares state between instances
 * (ActorDefinition.shareKey: a controller's object set), which must then run on one agent.
 * Deterministic: it depends on the group's name, the key and the agent count only, so an
 * instance goes to the same agent whatever the other groups are. Consecutive keys of a group go
 * to consecutive agents, from an offset the group's name picks, so each group spreads evenly
 * and small groups do not all land on agent 0.
 */
export function agentOf(group: string, key: number, agents: number): number {
  return (fnv1a(group) + key) % agents;
}

/** The scenario's instances by owning agent (`agentOf`); an agent may get none. */
export function shardOverAgents(scenario: Scenario, agents: number): PlacedInstance[][] {
  const shards: PlacedInstance[][] = Array.from({ length: agents }, () => []);
  for (const group of scenario.spec.actors) {
    const keyOf = definitionOf(group).shareKey;
    for (let index = 0; index < group.count; index++) {
      const key = keyOf === undefined ? index : keyOf(group, index);
      shards[agentOf(group.name, key, agents)]!.push({
        group: group.name,
        index,
        count: group.count,
      });
    }
  }
  return shards;
}

/** One agent's (or any subset's) instances round-robin over `workers` threads, each sized as in `planRun`. */
export function planShard(
  scenario: Scenario,
  instances: readonly PlacedInstance[],
  workers: number,
): WorkerPlan[] {
  const groups = new Map(scenario.spec.actors.map((g) => [g.name, groupPlan(g, scenario)]));
  const shards: PlacedInstance[][] = Array.from({ length: workers }, () => []);
  instances.forEach((instance, i) => shards[i % workers]!.push(instance));
  return shards.filter((s) => s.length > 0).map((s) => workerPlan(s, groups));
}
