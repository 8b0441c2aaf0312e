import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { runAgent } from '../agent/agent.js';
import { AgentServer } from '../agent/coordinator-server.js';
import type { AgentTls, CoordinatorTls } from '../agent/tls.js';
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
  'agent-tls-cert': {
    type: 'string',
    describe: 'serve the agent channel over TLS with this certificate (PEM; with --agent-tls-key)',
  },
  'agent-tls-key': { type: 'string', describe: 'the key of --agent-tls-cert (PEM)' },
  'agent-ca': {
    type: 'string',
    describe:
      'mutual TLS: agents must show a client certificate this CA (PEM) signed; the shared secret is then optional',
  },
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
  readonly agentTlsCert?: string | undefined;
  readonly agentTlsKey?: string | undefined;
  readonly agentCa?: string | undefined;
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
  const tls = await coordinatorTlsOf(argv);
  const server = await AgentServer.listen({
    listen: argv.agentListen,
    allowRemote: argv['allow-remote'],
    tls,
    // Mutual TLS authenticates the agents without a secret; AgentServer asks for one otherwise.
    token: await agentTokenOf(argv, tls?.ca !== undefined),
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
    'agent-ca': {
      type: 'string',
      describe:
        'dial the coordinator over TLS and verify its certificate against this CA (PEM file)',
    },
    'agent-tls-cert': {
      type: 'string',
      describe: 'this agent’s client certificate (PEM), for a coordinator that asks for one',
    },
    'agent-tls-key': { type: 'string', describe: 'the key of --agent-tls-cert (PEM)' },
    'agent-tls-server-name': {
      type: 'string',
      describe: 'the name the coordinator’s certificate carries, when not the --coordinator host',
    },
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

/**
 * The shared secret: --agent-token, else --agent-token-file (trimmed); undefined when neither is
 * given and `optional` (mutual TLS authenticates the agents instead).
 */
export async function agentTokenOf(
  argv: { agentToken?: string | undefined; agentTokenFile?: string | undefined },
  optional = false,
): Promise<string | undefined> {
  if (argv.agentToken !== undefined && argv.agentTokenFile !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      'give --agent-token or --agent-token-file, not both',
    );
  }
  const token =
    argv.agentTokenFile === undefined
      ? argv.agentToken
      : (await readFlagFile('--agent-token-file', argv.agentTokenFile)).trim();
  if (token === undefined || token === '') {
    if (optional) return undefined;
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      'the agent channel needs the shared secret: --agent-token-file FILE or --agent-token T (or mutual TLS: --agent-ca, --agent-tls-cert and --agent-tls-key)',
    );
  }
  return token;
}

async function readFlagFile(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ApfbenchError('APFBENCH_BAD_FLAG', `${flag} ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** A PEM file of a TLS flag, checked to hold PEM. */
async function readPem(flag: string, file: string): Promise<string> {
  const text = await readFlagFile(flag, file);
  if (!text.includes('-----BEGIN ')) {
    throw new ApfbenchError('APFBENCH_BAD_FLAG', `${flag} ${file}: not a PEM file`);
  }
  return text;
}

/** What the TLS flags of both sides parse into. */
interface TlsArgs {
  readonly agentCa?: string | undefined;
  readonly agentTlsCert?: string | undefined;
  readonly agentTlsKey?: string | undefined;
}

/** --agent-tls-cert and --agent-tls-key, both or neither. */
async function certAndKey(argv: TlsArgs): Promise<{ cert: string; key: string } | undefined> {
  if ((argv.agentTlsCert === undefined) !== (argv.agentTlsKey === undefined)) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      'give --agent-tls-cert and --agent-tls-key together',
    );
  }
  if (argv.agentTlsCert === undefined || argv.agentTlsKey === undefined) return undefined;
  return {
    cert: await readPem('--agent-tls-cert', argv.agentTlsCert),
    key: await readPem('--agent-tls-key', argv.agentTlsKey),
  };
}

/** The coordinator's TLS flags: its certificate, and with --agent-ca, mutual TLS. */
export async function coordinatorTlsOf(argv: TlsArgs): Promise<CoordinatorTls | undefined> {
  const pair = await certAndKey(argv);
  if (pair === undefined) {
    if (argv.agentCa !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_BAD_FLAG',
        '--agent-ca on the coordinator verifies the agents’ client certificates: it needs --agent-tls-cert and --agent-tls-key to serve TLS',
      );
    }
    return undefined;
  }
  return {
    ...pair,
    ...(argv.agentCa === undefined ? {} : { ca: await readPem('--agent-ca', argv.agentCa) }),
  };
}

/** The agent's TLS flags: the coordinator's CA, its own client certificate, a server name. */
export async function agentTlsOf(
  argv: TlsArgs & { readonly agentTlsServerName?: string | undefined },
): Promise<AgentTls | undefined> {
  const pair = await certAndKey(argv);
  if (argv.agentCa === undefined) {
    if (pair !== undefined || argv.agentTlsServerName !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_BAD_FLAG',
        'TLS to the coordinator needs --agent-ca, the CA that signed its certificate',
      );
    }
    return undefined;
  }
  return {
    ca: await readPem('--agent-ca', argv.agentCa),
    caSource: argv.agentCa,
    ...pair,
    ...(argv.agentTlsServerName === undefined ? {} : { serverName: argv.agentTlsServerName }),
  };
}

export async function agentHandler(
  argv: Awaited<ReturnType<ReturnType<typeof agentCommand>['parseAsync']>>,
): Promise<void> {
  const index = agentIndexOf(argv.index);
  const tls = await agentTlsOf(argv);
  // With a client certificate, mutual TLS may authenticate the agent without a secret.
  const token = (await agentTokenOf(argv, tls?.cert !== undefined)) ?? '';
  const { signal, dispose } = interruptible(progress, 'stopping this agent’s load and draining');
  try {
    const outcome = await runAgent({
      coordinator: argv.coordinator,
      index,
      token,
      tls,
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
