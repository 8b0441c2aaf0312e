import { isIP } from 'node:net';
import { ApfbenchError } from '../errors.js';
import { isLoopbackAddress } from '../kube/index.js';

/** `HOST:PORT` (IPv6 as `[::1]:PORT`) split, the port a whole number 0–65535 (0: any free one). */
export function parseHostPort(address: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) {
    throw new ApfbenchError('APFBENCH_BAD_FLAG', `${flag} ${address}: expected HOST:PORT`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * The agent protocol carries the load identities' bearer tokens, so the coordinator listens on
 * loopback unless the user says otherwise. A host name other than `localhost` counts as remote:
 * it is not resolved, since what it resolves to may change.
 */
export function assertListenAllowed(host: string, allowRemote: boolean): void {
  if (allowRemote || host === 'localhost' || (isIP(host) !== 0 && isLoopbackAddress(host))) return;
  throw new ApfbenchError(
    'APFBENCH_REMOTE_LISTEN',
    `refusing to listen for agents on ${host}: it is not a loopback address`,
    {
      hint: 'agents receive the load identities’ tokens over this channel; pass --allow-remote to listen there anyway, with --agent-token set',
    },
  );
}
