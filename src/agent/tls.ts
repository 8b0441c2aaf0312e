/**
 * TLS on the agent channel. The coordinator serves TLS with a certificate and key the user gives
 * (`--agent-tls-cert`, `--agent-tls-key`); agents verify it against the CA the user gives them
 * (`--agent-ca`). With `--agent-ca` on the coordinator too, TLS is mutual: every agent must show a
 * client certificate that CA signed, which then authenticates it instead of (or besides) the
 * shared secret.
 *
 * gRPC retries a failed handshake quietly until its deadline, so an agent first shakes hands
 * itself (`checkCoordinatorTls`) and names what is wrong: a certificate another CA signed, one
 * naming another host, an expired one, a client certificate the coordinator refused, or a
 * coordinator that does not speak TLS.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { ApfbenchError } from '../errors.js';
import { parseHostPort } from './listen.js';

/** The coordinator's TLS: its certificate chain and key, and the CA of its agents' certificates. */
export interface CoordinatorTls {
  readonly cert: string;
  readonly key: string;
  /** With it, TLS is mutual: agents without a client certificate this CA signed are refused. */
  readonly ca?: string;
}

/** An agent's TLS: the CA of the coordinator's certificate, and its own client certificate. */
export interface AgentTls {
  readonly ca: string;
  /** Where the CA came from (`--agent-ca FILE`), for errors. */
  readonly caSource: string;
  readonly cert?: string;
  readonly key?: string;
  /** The name the coordinator's certificate must carry, when not the host dialled. */
  readonly serverName?: string;
}

/** Verification failures whose cause is the CA: the certificate chains to another one. */
const WRONG_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);
/** Before a handshake: nothing listens yet (the coordinator may still be starting). */
const NOT_YET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

type Attempt = { ok: true } | { ok: false; retry: boolean; error: ApfbenchError };

/**
 * Shakes hands with the coordinator at `address` as the gRPC channel will, retrying while nothing
 * listens there, until `deadline` (epoch ms). Resolves when the coordinator's certificate checks
 * out and, with a client certificate, the coordinator accepted it; throws APFBENCH_AGENT_TLS
 * naming the problem otherwise, APFBENCH_AGENT_UNREACHABLE when nothing answered in time.
 */
export async function checkCoordinatorTls(
  address: string,
  tls: AgentTls,
  deadline: number,
): Promise<void> {
  const { host, port } = parseHostPort(address, '--coordinator');
  for (;;) {
    const attempt = await handshake(host, port, tls);
    if (attempt.ok) return;
    if (!attempt.retry) throw attempt.error;
    if (Date.now() + 250 > deadline) {
      throw new ApfbenchError(
        'APFBENCH_AGENT_UNREACHABLE',
        `no coordinator answered at ${address}: ${attempt.error.message}`,
        { hint: 'start `apfbench run --agents N` first, or check --coordinator' },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function handshake(host: string, port: number, tls: AgentTls): Promise<Attempt> {
  const servername = tls.serverName ?? (isIP(host) === 0 ? host : undefined);
  const named = tls.serverName ?? host;
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const fail = (message: string, hint?: string) =>
      done({
        ok: false,
        retry: false,
        error: new ApfbenchError('APFBENCH_AGENT_TLS', message, hint === undefined ? {} : { hint }),
      });
    // A handshake that neither completes nor fails: take it as done and let gRPC try.
    const timer = setTimeout(() => done({ ok: true }), 5000);
    let secure = false;
    const socket = connect({
      host,
      port,
      ca: tls.ca,
      ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
      ...(servername === undefined ? {} : { servername }),
      ...(tls.serverName === undefined ? {} : { checkServerIdentity: checkNamed(tls.serverName) }),
      ALPNProtocols: ['h2'],
    });
    const who = `the coordinator at ${host}:${port}`;
    // The server's first frame (HTTP/2 SETTINGS) says the handshake was accepted; TLS 1.3 refuses
    // a client certificate only after the client's side of it is done, by an alert or a close.
    const refused = (detail: string) =>
      tls.cert === undefined
        ? fail(
            `${who} asks for a client certificate, and this agent has none (${detail})`,
            'give the agent --agent-tls-cert and --agent-tls-key, signed by the CA the coordinator has in its --agent-ca',
          )
        : fail(
            `${who} refused this agent's client certificate (${detail})`,
            'give the agent a certificate (--agent-tls-cert, --agent-tls-key) signed by the CA the coordinator has in its --agent-ca',
          );
    socket.on('secureConnect', () => (secure = true));
    socket.on('data', () => done({ ok: true }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (secure) return refused(err.message);
      if (WRONG_CA.has(code)) {
        return fail(
          `${who} presented a certificate that the CA in ${tls.caSource} did not sign (${code})`,
          'give the agent, in --agent-ca, the CA that signed the coordinator’s --agent-tls-cert',
        );
      }
      if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        return fail(
          `${who} presented a certificate that does not name ${named} (${(err as { reason?: string }).reason ?? err.message})`,
          'dial a name or address the certificate carries, or name one with --agent-tls-server-name',
        );
      }
      if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
        return fail(`${who} presented a certificate outside its validity (${code})`);
      }
      if (NOT_YET.has(code)) {
        return done({
          ok: false,
          retry: true,
          error: new ApfbenchError('APFBENCH_AGENT_UNREACHABLE', err.message),
        });
      }
      if (/wrong version number|unknown protocol|packet length too long/i.test(err.message)) {
        return fail(
          `${who} does not speak TLS (${err.message})`,
          'give the coordinator --agent-tls-cert and --agent-tls-key, or drop --agent-ca from the agent',
        );
      }
      fail(`TLS with ${who} failed: ${err.message}${code === '' ? '' : ` (${code})`}`);
    });
    socket.on('close', () =>
      secure
        ? refused('it closed the connection after the handshake')
        : done({
            ok: false,
            retry: true,
            error: new ApfbenchError('APFBENCH_AGENT_UNREACHABLE', 'the connection closed'),
          }),
    );
  });
}

/** Checks the coordinator's certificate against `name` instead of the host dialled. */
const checkNamed = (name: string) => (_host: string, cert: PeerCertificate) =>
  checkServerIdentity(name, cert);
