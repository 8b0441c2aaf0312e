import type { WorkerPlacement } from '../engine/worker-handle.js';
import type { RunResult } from '../result/result.js';
import type { Scenario } from '../actors/scenario.js';
import type { AgentServer, AgentSession } from './coordinator-server.js';
import { RemoteAgents } from './remote-workers.js';

export interface AgentRunOptions {
  /** How long to wait for every agent to join. */
  readonly joinTimeoutMs: number;
  /** Worker threads each agent runs its shard on. */
  readonly workersPerAgent: number;
  readonly signal?: AbortSignal | undefined;
  readonly onPhase?: ((line: string) => void) | undefined;
}

/**
 * One run with `--agents N` (`run`'s, or each of `compare`'s): waits until every agent has joined
 * `server` (at once when they all still are, from the run before), then has `run`
 * (runScenario, or runScenarioUnderProfile) run the scenario with its instances on the agents'
 * worker threads instead of this machine's, and adds the result's `agents` section. Throws
 * APFBENCH_AGENTS_MISSING, naming them, when some never join.
 */
export async function runOnAgents(
  server: AgentServer,
  scenario: Scenario,
  opts: AgentRunOptions,
  run: (placement: WorkerPlacement) => Promise<RunResult>,
): Promise<RunResult> {
  const say = opts.onPhase ?? (() => {});
  if (server.joined().length < server.agents) say(`waiting for agents on ${server.address}`);
  const sessions = await server.waitForAgents(opts.joinTimeoutMs, opts.signal);
  for (const s of sessions.filter((s) => !announced.has(s))) {
    announced.add(s);
    say(
      `agent ${s.index} joined from ${s.hello.host}: clock offset ${s.clock.offsetMs.toFixed(3)} ms, rtt ${s.clock.rttMs.toFixed(3)} ms`,
    );
  }
  const remote = new RemoteAgents(sessions, scenario, opts.workersPerAgent);
  const result = await run(remote.placement());
  return { ...result, agents: remote.results() };
}

/** Sessions whose joining was said (an agent stays joined over `compare`'s runs). */
const announced = new WeakSet<AgentSession>();
