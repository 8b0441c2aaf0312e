// A whole agent session over loopback gRPC, with real engine worker threads. The target is a
// closed loopback port, so every request fails to connect: what this checks is the relay
// (every worker's intervals and final reach the coordinator, counts intact), not a server.
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../../src/agent/agent.js';
import {
  AgentServer,
  nowEpochMs,
  type AgentSession,
  type SessionEvent,
} from '../../../src/agent/coordinator-server.js';
import { RemoteAgents } from '../../../src/agent/remote-workers.js';
import { shardOverAgents } from '../../../src/engine/plan.js';
import { createAccumulator, mergeEncoded } from '../../../src/metrics/histogram.js';
import { identityToWire, snapshotFromWire } from '../../../src/wire/snapshot.js';
import { scenarioFromYaml } from '../../support/scenario.js';

let server: AgentServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: relay }
spec:
  duration: 2s
  actors:
    - { name: t, type: tenant, count: 4, rate: 5/s, identity: 'tenant-{i}', mix: [{ verb: get, resource: configmaps, weight: 1 }] }
`);

/** One run of `scenario` on `session`: its events, once every worker's final came. */
async function oneRun(session: AgentSession, runId: string): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  const finals = new Promise<void>((resolve) =>
    session.onEvent((e) => {
      events.push(e);
      if (events.filter((x) => x.body === 'final').length === 2) resolve();
    }),
  );
  const instances = shardOverAgents(scenario, 1)[0]!;
  const workers = await session.assign({
    runId,
    labelKey: 'apfbench.dev/run',
    scenarioJson: JSON.stringify(scenario),
    targetJson: JSON.stringify({ server: 'https://127.0.0.1:1', insecureSkipTLSVerify: true }),
    namesJson: JSON.stringify({ flowSchemas: {}, priorityLevels: {} }),
    instances: instances.map((i) => ({
      ...i,
      identity: identityToWire({ name: `tenant-${i.index}`, token: `tok-${i.index}` }),
    })),
    workers: 2,
    workerIndexBase: 3,
    intervalMs: 500,
    drainMs: 1000,
    serverVersion: '',
    tokens: {},
  });
  expect(workers).toBe(2);
  session.start(nowEpochMs() + 100);
  await finals;
  return events;
}

describe('an agent session', () => {
  it('relays every worker’s intervals and final, numbered as the coordinator said, run after run', async () => {
    const token = 't0ken';
    server = await AgentServer.listen({ listen: '127.0.0.1:0', token, agents: 1 });
    const agent = runAgent({ coordinator: server.address, index: 0, token, host: 'relay' });
    const [session] = await server.waitForAgents(10_000);
    // Two runs on one session, as `compare` makes one per profile.
    for (const runId of ['relay-1', 'relay-2']) {
      const events = await oneRun(session!, runId);
      expect(events.some((e) => e.body === 'failure')).toBe(false);
      const byWorker = new Set(
        events.flatMap((e) =>
          e.body === 'interval'
            ? [e.interval.workerIndex]
            : e.body === 'final'
              ? [e.final.workerIndex]
              : [],
        ),
      );
      expect(byWorker).toEqual(new Set([3, 4]));
      const finals = events.flatMap((e) => (e.body === 'final' ? [e.final] : []));
      // Each worker's pools, and the agent's ledger with its last final only (a tenant writes
      // nothing in it).
      for (const f of finals) expect(f.connections.length).toBeGreaterThan(0);
      expect(finals.map((f) => f.ledger === null)).toEqual([true, false]);
      expect(finals[1]!.ledger).toMatchObject({ acknowledged: 0, lost: 0, overflow: 0 });
      const snapshots = events.flatMap((e) =>
        (e.body === 'interval'
          ? e.interval.snapshots
          : e.body === 'final'
            ? e.final.snapshots
            : []
        ).map(snapshotFromWire),
      );
      const sum = (f: (s: (typeof snapshots)[number]) => number) =>
        snapshots.reduce((n, s) => n + f(s), 0);
      // A transport error stays out of the latency histogram; the schedule lag has one value a send.
      const lag = createAccumulator();
      for (const s of snapshots) mergeEncoded(lag, s.scheduleLag);
      const completed = sum((s) => s.completed);
      expect(completed).toBeGreaterThan(0);
      expect(sum((s) => s.sent)).toBe(completed);
      // Nothing listens there: every request is a transport error.
      const failed = sum((s) =>
        Object.entries(s.byCode).reduce(
          (n, [code, k]) => n + (code.startsWith('error:') ? k : 0),
          0,
        ),
      );
      expect(failed).toBe(completed);
      expect(lag.hdr.totalCount).toBe(completed);
    }
    // The coordinator ends the session between runs: the agent is done, with both runs.
    await server.close();
    server = undefined;
    await expect(agent).resolves.toEqual({
      runs: [
        { runId: 'relay-1', instances: 4, workers: 2 },
        { runId: 'relay-2', instances: 4, workers: 2 },
      ],
    });
  }, 60_000);
});

describe('an agent the sharding left without instances', () => {
  it('is told so, runs nothing, and ends when the coordinator ends the session', async () => {
    const token = 't0ken';
    server = await AgentServer.listen({ listen: '127.0.0.1:0', token, agents: 2 });
    let told = false;
    const agents = [0, 1].map((index) =>
      runAgent({
        coordinator: server!.address,
        index,
        token,
        onPhase: (line) => (told ||= line.includes('nothing to run')),
      }).catch((err: unknown) => err),
    );
    const sessions = await server.waitForAgents(10_000);
    const one = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: one }
spec:
  duration: 2s
  actors:
    - { name: t, type: tenant, count: 1, rate: 1/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
`);
    const idle = shardOverAgents(one, 2).findIndex((s) => s.length === 0);
    new RemoteAgents(sessions, one, 2);
    await until(() => told);
    await server.close();
    server = undefined;
    expect(await agents[idle]).toEqual({ runs: [{ runId: '', instances: 0, workers: 0 }] });
    // The other was never assigned a run: the session ended before it had one.
    expect(await agents[1 - idle]).toMatchObject({ code: 'APFBENCH_AGENT_UNREACHABLE' });
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
