// The coordinator's admission of agents over real gRPC on loopback (no API server is involved:
// admission happens before any load).
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../../src/agent/agent.js';
import { AgentServer } from '../../../src/agent/coordinator-server.js';
import { ApfbenchError } from '../../../src/errors.js';
import {
  PROTOCOL_VERSION,
  coordinatorClient,
  type CoordinatorMessage,
} from '../../../src/wire/agent-wire.js';

const TOKEN = 'correct horse battery staple';
let server: AgentServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const refusalOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the agent was admitted');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(ApfbenchError);
      expect((err as ApfbenchError).code).toBe('APFBENCH_AGENT_REFUSED');
      return (err as Error).message;
    },
  );

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

/** A hello the agent command would never send: another protocol version. */
function rawHello(address: string, protocolVersion: number): Promise<CoordinatorMessage> {
  const { client, session } = coordinatorClient(address);
  const call = session();
  return new Promise((resolve, reject) => {
    call.on('data', (m: CoordinatorMessage) => {
      resolve(m);
      client.close();
    });
    call.on('error', reject);
    call.write({ hello: { protocolVersion, index: 1, host: 'old-agent', token: TOKEN } });
  });
}

describe('agent admission', () => {
  it('refuses a wrong token, another protocol version, a taken or out-of-range index, and admits the rest', async () => {
    const refusals: string[] = [];
    server = await AgentServer.listen({
      listen: '127.0.0.1:0',
      token: TOKEN,
      agents: 2,
      onRefusal: (l) => refusals.push(l),
    });
    const address = server.address;
    const agent0 = runAgent({ coordinator: address, index: 0, token: TOKEN, host: 'a0' });
    const ended0 = agent0.catch((err: unknown) => err);
    await until(() => server!.joined().includes(0));

    expect(await refusalOf(runAgent({ coordinator: address, index: 1, token: 'guess' }))).toMatch(
      /agent 1 \(.+\): wrong agent token/,
    );
    expect(
      await refusalOf(runAgent({ coordinator: address, index: 0, token: TOKEN, host: 'twin' })),
    ).toContain('agent 0 (twin): index 0 is already taken');
    expect(
      await refusalOf(runAgent({ coordinator: address, index: 5, token: TOKEN, host: 'far' })),
    ).toContain('index 5 is out of range; this run takes indexes 0 to 1');
    const old = await rawHello(address, 99);
    expect(old.body).toBe('refusal');
    expect(old.body === 'refusal' && old.refusal.message).toContain(
      `agent 1 (old-agent): protocol version 99, but this coordinator speaks ${PROTOCOL_VERSION}`,
    );
    expect(refusals).toHaveLength(4);
    // None of them joined or disturbed agent 0.
    expect(server.joined()).toEqual([0]);

    const agent1 = runAgent({ coordinator: address, index: 1, token: TOKEN, host: 'a1' });
    const ended1 = agent1.catch((err: unknown) => err);
    const sessions = await server.waitForAgents(5000);
    expect(sessions.map((s) => [s.index, s.hello.host])).toEqual([
      [0, 'a0'],
      [1, 'a1'],
    ]);
    for (const s of sessions) {
      // One clock on both sides: the true offset is 0, within the bound the RTT sets.
      expect(s.clock.rttMs).toBeGreaterThanOrEqual(0);
      expect(Math.abs(s.clock.offsetMs)).toBeLessThanOrEqual(s.clock.rttMs / 2 + 1e-6);
    }
    await server.close();
    server = undefined;
    for (const ended of [ended0, ended1]) {
      expect(((await ended) as ApfbenchError).code).toBe('APFBENCH_AGENT_UNREACHABLE');
    }
  });

  it('names the agents that did not join in time', async () => {
    server = await AgentServer.listen({ listen: '127.0.0.1:0', token: TOKEN, agents: 3 });
    const agent = runAgent({ coordinator: server.address, index: 1, token: TOKEN }).catch(() => {});
    await until(() => server!.joined().includes(1));
    await expect(server.waitForAgents(200)).rejects.toThrow(
      /2 of 3 agents did not join within 0.2 s: index 0, 2/,
    );
    await server.close();
    server = undefined;
    await agent;
  });

  it('listens on loopback only, unless --allow-remote', async () => {
    await expect(
      AgentServer.listen({ listen: '0.0.0.0:0', token: TOKEN, agents: 1 }),
    ).rejects.toMatchObject({ code: 'APFBENCH_REMOTE_LISTEN' });
    server = await AgentServer.listen({
      listen: '0.0.0.0:0',
      token: TOKEN,
      agents: 1,
      allowRemote: true,
    });
    expect(server.address).toMatch(/^0\.0\.0\.0:\d+$/);
  });

  it('says when no coordinator answers', async () => {
    await expect(
      runAgent({ coordinator: '127.0.0.1:1', index: 0, token: TOKEN, connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'APFBENCH_AGENT_UNREACHABLE' });
  });
});
