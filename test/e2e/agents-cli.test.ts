// `apfbench run --agents 3` and three `apfbench agent` processes, as a user runs them, on an
// ephemeral local control plane. The coordinator listens on a free port, which it prints.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/result.js';
import { runCli, type CliResult, killAll } from '../support/cli.js';

const pids: number[] = [];
afterEach(() => killAll(pids));

const SCENARIO = `
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: agents-cli }
spec:
  duration: 12s
  actors:
    - name: tenant
      type: tenant
      identity: 'tenant-{i}'
      count: 3
      rate: 20/s
      mix:
        - { verb: get, resource: configmaps, weight: 60 }
        - { verb: create, resource: configmaps, weight: 40, size: 256 }
`;

/**
 * Runs the coordinator and, once it says where it listens, three agents; `onStarted` gets the
 * agents' pids once the load has started.
 */
async function distributedRun(onStarted?: (agentPids: number[]) => void) {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-agents-'));
  const scenario = join(dir, 'scenario.yaml');
  const tokenFile = join(dir, 'token');
  await writeFile(scenario, SCENARIO);
  await writeFile(tokenFile, 'e2e-agent-secret\n', { mode: 0o600 });
  const agents: Promise<CliResult>[] = [];
  const agentPids: number[] = [];
  let started = false;
  const coordinator = await runCli(
    [
      'run',
      scenario,
      '--agents',
      '3',
      '--agent-listen',
      '127.0.0.1:0',
      '--agent-token-file',
      tokenFile,
      '--out',
      join(dir, 'out'),
      '--no-report',
    ],
    {
      timeoutMs: 240_000,
      onSpawn: (pid) => pids.push(pid),
      onOutput: (_out, err) => {
        const address = /waiting for agents on (127\.0\.0\.1:\d+)/.exec(err)?.[1];
        if (address !== undefined && agents.length === 0) {
          for (const index of [0, 1, 2]) {
            agents.push(
              runCli(['agent', '--coordinator', address, '--agent-token-file', tokenFile], {
                env: { ...process.env, JOB_COMPLETION_INDEX: String(index) },
                timeoutMs: 240_000,
                onSpawn: (pid) => {
                  pids.push(pid);
                  agentPids[index] = pid;
                },
              }),
            );
          }
        }
        if (!started && /run .*: \d+ actor instances/.test(err)) {
          started = true;
          onStarted?.(agentPids);
        }
      },
    },
  );
  const result = JSON.parse(await readFile(join(dir, 'out', 'result.json'), 'utf8')) as RunResult;
  return { coordinator, agents: await Promise.all(agents), result };
}

it('runs a scenario on three agents and records them in result.json', async () => {
  const { coordinator, agents, result } = await distributedRun();
  expect(coordinator.code, coordinator.stderr).toBe(0);
  for (const a of agents) expect(a.code, a.stderr).toBe(0);
  expect(result.status).toBe('completed');
  expect(result.agents?.map((a) => [a.index, a.status])).toEqual([
    [0, 'completed'],
    [1, 'completed'],
    [2, 'completed'],
  ]);
  expect(result.agents!.map((a) => a.instances)).toEqual([1, 1, 1]);
  expect(result.actors.tenant!.requests.sent).toBeGreaterThan(0);
}, 300_000);

it('ends partial, exit 1 naming the agent, when one is killed with SIGKILL mid-run', async () => {
  const { coordinator, agents, result } = await distributedRun((agentPids) => {
    setTimeout(() => process.kill(agentPids[2]!, 'SIGKILL'), 5000);
  });
  expect(agents[2]!.signal).toBe('SIGKILL');
  expect(coordinator.code).toBe(1);
  expect(coordinator.stderr).toContain('APFBENCH_AGENT_LOST');
  expect(coordinator.stderr).toMatch(/run partial: agent 2 \(.+\) lost/);
  expect(result.status).toBe('partial');
  const lost = result.agents!.find((a) => a.index === 2)!;
  expect(lost.status).toBe('lost');
  expect(lost.lostInstances).toHaveLength(1);
  // Cleanup (on-success) ran for the partial run and deleted every object it made.
  expect(result.cleanup.errors).toEqual([]);
  expect(result.cleanup.deleted).toBeGreaterThan(0);
}, 300_000);
