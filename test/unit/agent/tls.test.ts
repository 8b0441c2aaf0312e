// TLS on the agent channel, over real gRPC on loopback, with CAs made here: a coordinator that
// serves TLS (mutual, or with the shared secret), and agents with the right CA, another CA, a
// client certificate another CA signed, or TLS to a coordinator without it. No API server is
// involved: all of this happens before any load.
import { beforeAll, afterEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../../src/agent/agent.js';
import { AgentServer } from '../../../src/agent/coordinator-server.js';
import type { AgentTls } from '../../../src/agent/tls.js';
import {
  generatePki,
  issueClientCert,
  type ClusterPki,
  type KeyPairPem,
} from '../../../src/cluster/pki.js';
import { ApfbenchError } from '../../../src/errors.js';

const TOKEN = 'tls-and-a-secret';
let server: AgentServer | undefined;
let pki: ClusterPki;
let other: ClusterPki;
let client: KeyPairPem;
let stranger: KeyPairPem;

beforeAll(async () => {
  [pki, other] = await Promise.all([generatePki(1), generatePki(1)]);
  [client, stranger] = await Promise.all([
    issueClientCert(pki, 'agent-0', []),
    issueClientCert(other, 'agent-0', []),
  ]);
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The error an agent ends with, which must be an ApfbenchError. */
const failureOf = async (p: Promise<unknown>): Promise<ApfbenchError> => {
  const err = await p.then(
    () => new Error('the agent joined'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApfbenchError);
  return err as ApfbenchError;
};

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

const agentTls = (ca: string, pair?: KeyPairPem, serverName?: string): AgentTls => ({
  ca,
  caSource: 'ca.pem',
  ...(pair === undefined ? {} : { cert: pair.cert, key: pair.key }),
  ...(serverName === undefined ? {} : { serverName }),
});

describe('TLS on the agent channel', () => {
  it('admits an agent by mutual TLS alone, without a shared secret', async () => {
    server = await AgentServer.listen({
      listen: '127.0.0.1:0',
      agents: 1,
      tls: { ...pki.serving, ca: pki.ca.cert },
    });
    const agent = runAgent({
      coordinator: server.address,
      index: 0,
      token: '',
      tls: agentTls(pki.ca.cert, client),
    }).catch((err: unknown) => err);
    await until(() => server!.joined().includes(0));
    await server.close();
    server = undefined;
    // Ended before any run: the agent says so, it was not refused.
    expect(await agent).toMatchObject({ code: 'APFBENCH_AGENT_UNREACHABLE' });
  });

  it('refuses, naming the problem: another CA, a client certificate another CA signed, another name', async () => {
    server = await AgentServer.listen({
      listen: '127.0.0.1:0',
      agents: 1,
      token: TOKEN,
      tls: { ...pki.serving, ca: pki.ca.cert },
    });
    const address = server.address;
    const dial = (tls: AgentTls) =>
      failureOf(
        runAgent({ coordinator: address, index: 0, token: TOKEN, tls, connectTimeoutMs: 10_000 }),
      );

    const wrongCa = await dial(agentTls(other.ca.cert, client));
    expect(wrongCa.code).toBe('APFBENCH_AGENT_TLS');
    expect(wrongCa.message).toMatch(
      /^the coordinator at 127\.0\.0\.1:\d+ presented a certificate that the CA in ca\.pem did not sign \(\w+\)$/,
    );

    const foreignClient = await dial(agentTls(pki.ca.cert, stranger));
    expect(foreignClient.code).toBe('APFBENCH_AGENT_TLS');
    expect(foreignClient.message).toContain("refused this agent's client certificate");

    const noClientCert = await dial(agentTls(pki.ca.cert));
    expect(noClientCert.code).toBe('APFBENCH_AGENT_TLS');
    expect(noClientCert.message).toContain(
      'asks for a client certificate, and this agent has none',
    );

    const elsewhere = await dial(agentTls(pki.ca.cert, client, 'apfbench.example'));
    expect(elsewhere.code).toBe('APFBENCH_AGENT_TLS');
    expect(elsewhere.message).toContain(
      'presented a certificate that does not name apfbench.example',
    );

    // None of them joined.
    expect(server.joined()).toEqual([]);
  });

  it('says when the coordinator does not speak TLS', async () => {
    server = await AgentServer.listen({ listen: '127.0.0.1:0', agents: 1, token: TOKEN });
    const err = await failureOf(
      runAgent({ coordinator: server.address, index: 0, token: TOKEN, tls: agentTls(pki.ca.cert) }),
    );
    expect(err.code).toBe('APFBENCH_AGENT_TLS');
    expect(err.message).toMatch(/^the coordinator at 127\.0\.0\.1:\d+ does not speak TLS/);
  });

  it('with server TLS alone, still checks the shared secret', async () => {
    server = await AgentServer.listen({
      listen: '127.0.0.1:0',
      agents: 1,
      token: TOKEN,
      tls: pki.serving,
    });
    const err = await failureOf(
      runAgent({
        coordinator: server.address,
        index: 0,
        token: 'guess',
        tls: agentTls(pki.ca.cert),
      }),
    );
    expect(err.code).toBe('APFBENCH_AGENT_REFUSED');
    expect(err.message).toContain('wrong agent token');
  });

  it('needs a shared secret or mutual TLS', async () => {
    await expect(
      AgentServer.listen({ listen: '127.0.0.1:0', agents: 1, tls: pki.serving }),
    ).rejects.toMatchObject({ code: 'APFBENCH_BAD_FLAG' });
    await expect(AgentServer.listen({ listen: '127.0.0.1:0', agents: 1 })).rejects.toThrow(
      /shared secret \(--agent-token-file FILE\) or mutual TLS/,
    );
  });
});
