import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import { RefreshingToken, TOKEN_REREAD_MS } from './credential.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';
import { assertTargetAllowed, type Identity, type KubeTarget } from './target.js';

/** Where the kubelet mounts a pod's ServiceAccount token, CA bundle and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The mounted ServiceAccount directory (tests point it at a temporary one). */
  readonly dir?: string;
  readonly allowRemote?: boolean;
}

/** Whether the environment looks like a pod's: client-go's test for rest.InClusterConfig. */
export function inClusterEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.KUBERNETES_SERVICE_HOST ?? '') !== '' && (env.KUBERNETES_SERVICE_PORT ?? '') !== '';
}

const notInCluster = (message: string, cause?: unknown) =>
  new ApfbenchError('APFBENCH_IN_CLUSTER', message, {
    kind: 'invalid-input',
    hint: 'run apfbench in a pod with a ServiceAccount token mounted, or pass --kubeconfig',
    ...(cause === undefined ? {} : { cause }),
  });

/** The `sub` claim of a JWT (`system:serviceaccount:ns:name`), when the token is one. */
function subjectOf(token: string): string | undefined {
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
    );
    const sub = (claims as { sub?: unknown } | null)?.sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The API server of the cluster apfbench runs in, as client-go's rest.InClusterConfig finds it:
 * `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the pod's ServiceAccount token as
 * bearer (re-read every minute, as client-go does: the kubelet rotates bound tokens) and its
 * `ca.crt` (when there is none, the system's CAs, as client-go falls back). The service's
 * address is not loopback: without `allowRemote` it is refused before the token is read.
 */
export async function loadInClusterConfig(
  opts: InClusterOptions = {},
): Promise<ResolvedKubeconfig> {
  const env = opts.env ?? process.env;
  const dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
  if (!inClusterEnv(env)) {
    throw notInCluster(
      'no in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (they are in a pod)',
    );
  }
  const host = env.KUBERNETES_SERVICE_HOST!;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT!}`;
  await assertTargetAllowed(server, opts.allowRemote ?? false);
  const tokenFile = join(dir, 'token');
  const readToken = async () => ({ token: (await readFile(tokenFile, 'utf8')).trim() });
  const first = await readToken().catch((cause: unknown) => {
    throw notInCluster(
      `no in-cluster config: cannot read the ServiceAccount token ${tokenFile}`,
      cause,
    );
  });
  const ca = await readFile(join(dir, 'ca.crt'), 'utf8').catch(() => undefined);
  const namespace = (await readFile(join(dir, 'namespace'), 'utf8').catch(() => '')).trim();
  const credential = new RefreshingToken('in-cluster ServiceAccount', readToken, first, {
    rereadMs: TOKEN_REREAD_MS,
  });
  const target: KubeTarget = { server, ...(ca === undefined ? {} : { ca }) };
  const identity: Identity = {
    name: subjectOf(first.token) ?? 'in-cluster service account',
    token: first.token,
    credential: credential.name,
  };
  return {
    context: 'in-cluster',
    target,
    identity,
    credential,
    ...(namespace === '' ? {} : { namespace }),
  };
}
