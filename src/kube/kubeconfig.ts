import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { ApfbenchError } from '../errors.js';
import type { Identity, KubeTarget } from './target.js';

/** The parts of a kubeconfig apfbench uses, after files and exec plugins are resolved. */
export interface ResolvedKubeconfig {
  readonly context: string;
  readonly target: KubeTarget;
  readonly identity: Identity;
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
}

const invalid = (file: string, message: string) =>
  new ApfbenchError('APFBENCH_INVALID_KUBECONFIG', `${file}: ${message}`, {
    kind: 'invalid-input',
  });

/**
 * Loads a kubeconfig the way kubectl does for the fields apfbench supports:
 * server, CA (data or file), insecure-skip-tls-verify, bearer token (inline or
 * file), client certificate (data or file), impersonation (`as`, `as-groups`)
 * and exec credential plugins (as EKS and GKE use).
 */
export async function loadKubeconfig(
  file: string,
  contextName?: string,
): Promise<ResolvedKubeconfig> {
  let raw: RawKubeconfig;
  try {
    raw = parse(await readFile(file, 'utf8')) as RawKubeconfig;
  } catch (cause) {
    throw new ApfbenchError('APFBENCH_INVALID_KUBECONFIG', `cannot read kubeconfig ${file}`, {
      kind: 'invalid-input',
      cause,
    });
  }
  const name = contextName ?? raw['current-context'];
  if (name === undefined) throw invalid(file, 'no current-context; pass --context');
  const ctx = raw.contexts?.find((c) => c.name === name)?.context;
  if (ctx === undefined) throw invalid(file, `context ${name} not found`);
  const cluster = raw.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (cluster === undefined) throw invalid(file, `cluster ${ctx.cluster} not found`);
  const user = raw.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const base = dirname(resolve(file));

  const str = (o: Record<string, unknown>, k: string) =>
    typeof o[k] === 'string' ? (o[k] as string) : undefined;
  const pem = async (o: Record<string, unknown>, dataKey: string, fileKey: string) => {
    const data = str(o, dataKey);
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    const path = str(o, fileKey);
    return path === undefined
      ? undefined
      : readFile(isAbsolute(path) ? path : resolve(base, path), 'utf8');
  };

  const server = str(cluster, 'server');
  if (server === undefined) throw invalid(file, `cluster ${ctx.cluster} has no server`);
  const ca = await pem(cluster, 'certificate-authority-data', 'certificate-authority');
  const cert = await pem(user, 'client-certificate-data', 'client-certificate');
  const key = await pem(user, 'client-key-data', 'client-key');
  const tlsServerName = str(cluster, 'tls-server-name');
  const target: KubeTarget = {
    server: server.replace(/\/+$/, ''),
    ...(ca === undefined ? {} : { ca }),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTLSVerify: true } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCert: { cert, key } } : {}),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
  };

  let token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  if (token === undefined && tokenFile !== undefined)
    token = (await readFile(resolve(base, tokenFile), 'utf8')).trim();
  if (token === undefined && typeof user.exec === 'object' && user.exec !== null) {
    token = await execCredential(user.exec as ExecConfig, file);
  }
  const as = str(user, 'as');
  const groups = Array.isArray(user['as-groups']) ? (user['as-groups'] as string[]) : undefined;
  const identity: Identity = {
    name: as ?? ctx.user,
    ...(token === undefined ? {} : { token }),
    ...(as === undefined ? {} : { impersonate: { user: as, ...(groups ? { groups } : {}) } }),
  };
  return { context: name, target, identity };
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
}

/** Runs a client.authentication.k8s.io exec plugin and returns its bearer token. */
async function execCredential(exec: ExecConfig, file: string): Promise<string> {
  const env = { ...process.env } as Record<string, string>;
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(exec.command, exec.args ?? [], {
      env,
      timeout: 60_000,
    }));
  } catch (cause) {
    throw new ApfbenchError(
      'APFBENCH_EXEC_CREDENTIAL',
      `${file}: exec plugin ${exec.command} failed`,
      {
        kind: 'environment',
        cause,
        hint: `run "${[exec.command, ...(exec.args ?? [])].join(' ')}" yourself to see why`,
      },
    );
  }
  const token = (JSON.parse(stdout) as { status?: { token?: string } }).status?.token;
  if (token === undefined)
    throw invalid(file, `exec plugin ${exec.command} returned no status.token`);
  return token;
}

/** A kubeconfig for a bearer token against one server, as `cluster up` writes it. */
export function renderKubeconfig(opts: {
  server: string;
  ca: string;
  token: string;
  name?: string;
}): string {
  const name = opts.name ?? 'apfbench';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          'certificate-authority-data': Buffer.from(opts.ca).toString('base64'),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
  });
}
