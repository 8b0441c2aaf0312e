import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { runAgent } from '../agent/agent.js';
import { AgentServer } from '../agent/coordinator-server.js';
import { runOnAgents } from '../agent/run-on-agents.js';
import type { Distribute } from '../engine/compare.js';
import { workerCount } from '../engine/plan.js';
import type { Scenario } from '../actors/scenario.js';
import { ApfbenchError } from '../errors.js';
import { interruptible } from './interrupt.js';
import { integerFlag, positiveInteger } from './options.js';
import { progress } from './output.js';

/**
 * The flags of a distributed run (`run`, `compare`, `demo`); --allow-remote (the target's) also
 * lets the coordinator listen off loopback.
 */
export const agentRunOptions = {
  agents: {
    type: 'number',
    coerce: positiveInteger('agents', 10_000),
    describe: 'run the load on N `apfbench agent` processes instead of this machine’s threads',
  },
  'agent-listen': {
    type: 'string',
    default: '127.0.0.1:7681',
    describe: 'with --agents: HOST:PORT to listen for agents on (loopback unless --allow-remote)',
  },
  'agent-token': {
    type: 'string',
    describe: 'the shared secret agents must present (prefer --agent-token-file)',
  },
  'agent-token-file': { type: 'string', describe: 'a file holding the shared secret' },
  'agent-timeout': {
    type: 'number',
    default: 120,
    coerce: integerFlag('agent-timeout', 1),
    describe: 'with --agents: seconds to wait for every agent to join',
  },
} as const;

/** What agentRunOptions parse into. */
export interface AgentRunArgs {
  readonly agents?: number | undefined;
  readonly agentListen: string;
  readonly agentToken?: string | undefined;
  readonly agentTokenFile?: string | undefined;
  readonly agentTimeout: number;
  readonly 'allow-remote': boolean;
}

/** The coordinator's side of `--agents N`, listening from before the target starts. */
export interface Agents {
  /** Each run of the command on the agents (compare: one per profile, on the same agents). */
  distribute(
    scenario: Scenario,
    opts: { workers: number | undefined; signal: AbortSignal; onPhase: (line: string) => void },
  ): Distribute;
  close(): Promise<void>;
}

/**
 * Without `--agents`, undefined: the load runs on this machine's threads. With it, listens for
 * the agents at once, so that they can join while the control plane starts; close it after the
 * command's last run (the agents then exit 0).
 */
export async function listenForAgents(argv: AgentRunArgs): Promise<Agents | undefined> {
  if (argv.agents === undefined) return undefined;
  const server = await AgentServer.listen({
    listen: argv.agentListen,
    allowRemote: argv['allow-remote'],
    token: await agentTokenOf(argv),
    agents: argv.agents,
    onRefusal: (line) => process.stderr.write(`refused ${line}\n`),
  });
  return {
    distribute: (scenario, o) => (run) =>
      runOnAgents(
        server,
        scenario,
        {
          joinTimeoutMs: argv.agentTimeout * 1000,
          workersPerAgent: workerCount(scenario, o.workers),
          signal: o.signal,
          onPhase: o.onPhase,
        },
        run,
      ),
    close: () => server.close(),
  };
}

export function agentCommand(y: Argv) {
  return y.options({
    coordinator: {
      type: 'string',
      demandOption: true,
      describe: 'HOST:PORT where `apfbench run --agents N` listens for agents',
    },
    index: {
      type: 'number',
      describe:
        "this agent's index, 0 … N−1 (default: $JOB_COMPLETION_INDEX, as an Indexed Job sets it)",
    },
    'agent-token': agentRunOptions['agent-token'],
    'agent-token-file': agentRunOptions['agent-token-file'],
    'connect-timeout': {
      type: 'number',
      default: 120,
      describe: 'seconds to wait for the coordinator to answer',
    },
  });
}

/** The agent's index: the flag, else $JOB_COMPLETION_INDEX. */
export function agentIndexOf(flag: number | undefined, env = process.env): number {
  const raw =
    flag ?? (env.JOB_COMPLETION_INDEX === undefined ? undefined : Number(env.JOB_COMPLETION_INDEX));
  if (raw === undefined) {
    throw new ApfbenchError('APFBENCH_BAD_FLAG', 'agent needs --index N or $JOB_COMPLETION_INDEX');
  }
  if (!Number.isInteger(raw) || raw < 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      `the agent index must be a whole number ≥ 0 (got ${flag ?? env.JOB_COMPLETION_INDEX})`,
    );
  }
  return raw;
}

/** The shared secret: --agent-token, else --agent-token-file (trimmed). */
export async function agentTokenOf(argv: {
  agentToken?: string | undefined;
  agentTokenFile?: string | undefined;
}): Promise<string> {
  if (argv.agentToken !== undefined && argv.agentTokenFile !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      'give --agent-token or --agent-token-file, not both',
    );
  }
  if (argv.agentTokenFile !== undefined) {
    try {
      return (await readFile(argv.agentTokenFile, 'utf8')).trim();
    } catch (cause) {
      throw new ApfbenchError(
        'APFBENCH_BAD_FLAG',
        `--agent-token-file ${argv.agentTokenFile}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  const token = argv.agentToken;
  if (token === undefined || token === '') {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      'agent needs the shared secret: --agent-token-file FILE or --agent-token T',
    );
  }
  return token;
}

export async function agentHandler(
  argv: Awaited<ReturnType<ReturnType<typeof agentCommand>['parseAsync']>>,
): Promise<void> {
  const index = agentIndexOf(argv.index);
  const token = await agentTokenOf(argv);
  const { signal, dispose } = interruptible(progress, 'stopping this agent’s load and draining');
  try {
    const outcome = await runAgent({
      coordinator: argv.coordinator,
      index,
      token,
      connectTimeoutMs: argv.connectTimeout * 1000,
      signal,
      onPhase: progress,
    });
    for (const run of outcome.runs) {
      progress(
        run.workers === 0
          ? `agent ${index}: run ${run.runId || '-'}: nothing to run`
          : `agent ${index}: run ${run.runId} done (${run.instances} instances on ${run.workers} worker thread(s))`,
      );
    }
    progress(`agent ${index}: the coordinator has no more runs; exiting`);
  } finally {
    dispose();
  }
}
