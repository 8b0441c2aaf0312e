import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApfbenchError } from '../errors.js';

/**
 * Where requests go and how the TLS connection is made. Bearer tokens and
 * impersonation are per request (see Identity), so one connection pool can
 * carry many simulated users, as one API server connection carries many.
 */
export interface KubeTarget {
  /** Base URL, e.g. https://127.0.0.1:6443 (no trailing slash). */
  readonly server: string;
  /** PEM bundle that signs the server certificate; undefined trusts the system store. */
  readonly ca?: string;
  readonly insecureSkipTLSVerify?: boolean;
  /** Client certificate and key (PEM), presented on every connection of the pool. */
  readonly clientCert?: { cert: string; key: string };
  /** SNI / certificate name to check when it differs from the URL's host. */
  readonly tlsServerName?: string;
}

/**
 * The user a request is made as: a bearer token, optionally impersonating another user, or a
 * client certificate, which is presented per TLS connection: an identity with one needs a
 * transport of its own (Transport's `clientCert`), as a kubelet has.
 */
export interface Identity {
  /** Human name for reports, e.g. `system:node:node-0001`. */
  readonly name: string;
  readonly token?: string;
  /** Client certificate and key (PEM) that authenticate this user on its own connections. */
  readonly clientCert?: { readonly cert: string; readonly key: string };
  /**
   * The refreshable credential `token` came from (RefreshingToken.name): a transport sends the
   * token it was last given for that name (Transport.setToken), `token` until it has one.
   */
  readonly credential?: string;
  readonly impersonate?: { user: string; groups?: readonly string[]; uid?: string };
}

export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family === 6) {
    const a = address.toLowerCase();
    return a === '::1' || a === '0:0:0:0:0:0:0:1' || a.startsWith('::ffff:127.');
  }
  return false;
}

/**
 * Load only goes to loopback unless the user says otherwise. Host names must
 * resolve to loopback addresses only, so `localhost` passes and a name that
 * also resolves elsewhere does not.
 */
export async function assertTargetAllowed(server: string, allowRemote: boolean): Promise<void> {
  if (allowRemote) return;
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch (cause) {
      throw new ApfbenchError('APFBENCH_TARGET_UNRESOLVED', `cannot resolve target host ${host}`, {
        kind: 'invalid-input',
        cause,
      });
    }
  }
  const remote = addresses.filter((a) => !isLoopbackAddress(a));
  if (remote.length > 0 || addresses.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_REMOTE_TARGET',
      `refusing to send load to ${server}: it is not a loopback address (${remote.join(', ') || host})`,
      {
        kind: 'invalid-input',
        hint: 'apfbench only loads loopback targets by default; pass --allow-remote if this cluster is yours to load',
      },
    );
  }
}
