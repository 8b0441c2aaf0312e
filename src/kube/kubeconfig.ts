import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ApfbenchError } from '../errors.js';
// The located validation of input files (pure modules that import nothing else of the product):
// a kubeconfig's problems read like a scenario's, with file:line:column and the field path.
import { withRule } from '../validation/fields.js';
import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import { formatPath, type Path } from '../validation/yaml-path.js';
import { assertTargetAllowed, type Identity, type KubeTarget } from './target.js';

/** The parts of a kubeconfig apfbench uses, after files and exec plugins are resolved. */
export interface ResolvedKubeconfig {
  readonly context: string;
  readonly target: KubeTarget;
  readonly identity: Identity;
}

const optionalString = z.string().optional();

const clusterSchema = z.looseObject({
  // Required only of the cluster the context uses (the rule below), as kubectl does.
  server: optionalString,
  'certificate-authority': optionalString,
  'certificate-authority-data': optionalString,
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': optionalString,
});

const execSchema = z.looseObject({
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string() })).nullish(),
  apiVersion: optionalString,
});

const userSchema = z.looseObject({
  token: optionalString,
  tokenFile: optionalString,
  'client-certificate': optionalString,
  'client-certificate-data': optionalString,
  'client-key': optionalString,
  'client-key-data': optionalString,
  as: optionalString,
  'as-groups': z.array(z.string()).optional(),
  exec: execSchema.optional(),
});

const contextSchema = z.looseObject({ cluster: z.string(), user: z.string() });

/** A list of named entries, as kubeconfig lists clusters, users and contexts (null: none). */
const namedList = <K extends string, S extends z.ZodType>(key: K, entry: S) =>
  z.array(z.looseObject({ name: z.string() }).extend({ [key]: entry } as Record<K, S>)).nullish();

const documentShape = z.looseObject(
  {
    'current-context': optionalString,
    clusters: namedList('cluster', clusterSchema),
    users: namedList('user', userSchema.nullish()),
    contexts: namedList('context', contextSchema),
  },
  {
    error: (issue) =>
      issue.input == null
        ? 'the file is empty: a kubeconfig has clusters, contexts and users'
        : 'must be a mapping with clusters, contexts and users',
  },
);

type KubeconfigDocument = z.output<typeof documentShape>;

const isServerUrl = (server: string) =>
  URL.canParse(server) && ['https:', 'http:'].includes(new URL(server).protocol);

/**
 * The kubeconfig's shape, and what kubectl checks of the context in use: it exists, names a
 * cluster and a user that exist, and that cluster has a server URL. `contextFlag` is --context.
 */
function kubeconfigSchema(contextFlag?: string) {
  return withRule(documentShape, (doc, valid, report) => {
    const name = contextFlag ?? doc['current-context'];
    if (name === undefined) return report(['current-context'], 'is required, or pass --context');
    if (!valid('contexts') || !valid('current-context')) return;
    const c = (doc.contexts ?? []).findIndex((entry) => entry.name === name);
    if (c < 0) {
      return contextFlag === undefined
        ? report(['current-context'], 'names no entry of contexts')
        : report(['contexts'], `has no context named ${JSON.stringify(name)} (--context)`);
    }
    const { cluster, user } = doc.contexts![c]!.context;
    if (valid('users') && entryOf(doc, 'users', user) < 0)
      report(['contexts', c, 'context', 'user'], 'names no entry of users');
    // clusters may be any shape here (a mapping, a number, entries without `cluster:`): its
    // own problems are reported already, so only a well-formed list is looked into further.
    const k = entryOf(doc, 'clusters', cluster);
    if (k < 0) {
      if (valid('clusters'))
        report(['contexts', c, 'context', 'cluster'], 'names no entry of clusters');
      return;
    }
    if (!valid('clusters', k, 'cluster')) return;
    const server = doc.clusters![k]!.cluster.server;
    const at = ['clusters', k, 'cluster', 'server'];
    if (server === undefined) report(at, 'is required');
    else if (!isServerUrl(server)) report(at, 'must be a URL such as https://127.0.0.1:6443');
  });
}

/** The index of the entry named `name` in `list`, -1 when there is none or no list at all. */
function entryOf(doc: KubeconfigDocument, list: 'clusters' | 'users', name: string): number {
  const entries: unknown = doc[list];
  if (!Array.isArray(entries)) return -1;
  return entries.findIndex(
    (entry: unknown) =>
      typeof entry === 'object' && entry !== null && 'name' in entry && entry.name === name,
  );
}

const invalidKubeconfig = (problems: readonly Problem[]) =>
  new InvalidFileError(
    'APFBENCH_INVALID_KUBECONFIG',
    'kubeconfig',
    problems,
    locatedProblemsHint(
      '`kubectl config view --kubeconfig FILE` shows what kubectl makes of the file.',
    ),
  );

/** Reads and validates a kubeconfig; returns the context in use with its cluster and user. */
async function readKubeconfig(file: string, contextName: string | undefined) {
  const read = await readInputFile(file);
  if (!read.ok) throw invalidKubeconfig(read.problems);
  const result = validateYaml(kubeconfigSchema(contextName), read.text, file);
  if (!result.ok) throw invalidKubeconfig(result.problems);
  const doc = result.value;
  const name = (contextName ?? doc['current-context'])!;
  const ctx = doc.contexts!.find((c) => c.name === name)!.context;
  const k = entryOf(doc, 'clusters', ctx.cluster);
  const u = entryOf(doc, 'users', ctx.user);
  return {
    name,
    ctx,
    cluster: { at: ['clusters', k, 'cluster'], fields: doc.clusters![k]!.cluster },
    user: { at: ['users', u, 'user'], fields: doc.users![u]!.user ?? {} },
  };
}

/**
 * Loads a kubeconfig the way kubectl does for the fields apfbench supports:
 * server, CA (data or file), insecure-skip-tls-verify, bearer token (inline or
 * file), client certificate (data or file), impersonation (`as`, `as-groups`)
 * and exec credential plugins (as EKS and GKE use). Throws an InvalidFileError, listing
 * every problem with its field, for a file that is not one or names files that cannot be read.
 * A server that is not loopback is refused (unless `allowRemote`) before any file the
 * kubeconfig names is read and before its exec plugin runs: neither is for a cluster that will
 * not be loaded.
 */
export async function loadKubeconfig(
  file: string,
  contextName?: string,
  opts: { readonly allowRemote?: boolean } = {},
): Promise<ResolvedKubeconfig> {
  const { name, ctx, cluster, user } = await readKubeconfig(file, contextName);
  await assertTargetAllowed(cluster.fields.server!, opts.allowRemote ?? false);
  const base = dirname(resolve(file));
  const problems: Problem[] = [];
  // A file a field names, relative to the kubeconfig; one that cannot be read is a problem.
  const fileOf = async (at: Path, path: string) => {
    const absolute = isAbsolute(path) ? path : resolve(base, path);
    try {
      return await readFile(absolute, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push({
        file,
        line: 0,
        column: 0,
        path: formatPath(at),
        message: `cannot read ${absolute} (${reason})`,
      });
      return undefined;
    }
  };
  const pem = async (
    of: { at: Path; fields: Record<string, unknown> },
    dataKey: string,
    fileKey: string,
  ) => {
    const data = of.fields[dataKey];
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    const path = of.fields[fileKey];
    return typeof path === 'string' ? fileOf([...of.at, fileKey], path) : undefined;
  };

  const { server, 'tls-server-name': tlsServerName } = cluster.fields;
  const ca = await pem(cluster, 'certificate-authority-data', 'certificate-authority');
  const cert = await pem(user, 'client-certificate-data', 'client-certificate');
  const key = await pem(user, 'client-key-data', 'client-key');
  const { tokenFile, exec, as, 'as-groups': groups } = user.fields;
  let token = user.fields.token;
  if (token === undefined && tokenFile !== undefined)
    token = (await fileOf([...user.at, 'tokenFile'], tokenFile))?.trim();
  if (problems.length > 0) throw invalidKubeconfig(problems);
  if (token === undefined && exec !== undefined)
    token = await execCredential(exec, file, [...user.at, 'exec', 'command']);

  const target: KubeTarget = {
    server: server!.replace(/\/+$/, ''),
    ...(ca === undefined ? {} : { ca }),
    ...(cluster.fields['insecure-skip-tls-verify'] === true ? { insecureSkipTLSVerify: true } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCert: { cert, key } } : {}),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
  };
  const identity: Identity = {
    name: as ?? ctx.user,
    ...(token === undefined ? {} : { token }),
    ...(as === undefined ? {} : { impersonate: { user: as, ...(groups ? { groups } : {}) } }),
  };
  return { context: name, target, identity };
}

type ExecConfig = z.output<typeof execSchema>;

/**
 * Why an exec plugin did not start, from the spawn error's code (a plugin that ran and failed
 * has its exit status there instead): the kubeconfig names something that cannot be run.
 */
function whyNotStarted(command: string, code: unknown): string | undefined {
  if (code === 'ENOENT') return command.includes('/') ? 'does not exist' : 'not found on PATH';
  if (code === 'EACCES') return 'is not executable';
  return undefined;
}

/**
 * Runs a client.authentication.k8s.io exec plugin and returns its bearer token. A plugin that is
 * not there or cannot be run is a problem of the kubeconfig at `at` (its `command`).
 */
async function execCredential(exec: ExecConfig, file: string, at: Path): Promise<string> {
  const env = { ...process.env } as Record<string, string>;
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  const command = [exec.command, ...(exec.args ?? [])].join(' ');
  const failed = (what: string, cause?: unknown) =>
    new ApfbenchError('APFBENCH_EXEC_CREDENTIAL', `${file}: exec plugin ${exec.command} ${what}`, {
      kind: 'environment',
      cause,
      hint: `run "${command}" yourself to see why`,
    });
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(exec.command, exec.args ?? [], {
      env,
      timeout: 60_000,
    }));
  } catch (cause) {
    const why = whyNotStarted(exec.command, (cause as NodeJS.ErrnoException).code);
    if (why === undefined) throw failed('failed', cause);
    throw invalidKubeconfig([
      {
        file,
        line: 0,
        column: 0,
        path: formatPath(at),
        message: `exec plugin '${exec.command}' ${why}`,
      },
    ]);
  }
  let token: unknown;
  try {
    token = (JSON.parse(stdout) as { status?: { token?: unknown } } | null)?.status?.token;
  } catch (cause) {
    throw failed('printed no ExecCredential JSON', cause);
  }
  if (typeof token !== 'string') throw failed('returned no status.token');
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
