import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ApfbenchError } from '../errors.js';
// The located validation of input files (pure modules that import nothing else of the product):
// a kubeconfig's problems read like a scenario's, with file:line:column and the field path.
import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { locateProblem, validateYaml } from '../validation/validate.js';
import { formatPath, type Path } from '../validation/yaml-path.js';
import { RefreshingToken, TOKEN_REREAD_MS, type FetchedToken } from './credential.js';
import { assertTargetAllowed, type Identity, type KubeTarget } from './target.js';

/** The parts of a kubeconfig apfbench uses, after files and exec plugins are resolved. */
export interface ResolvedKubeconfig {
  readonly context: string;
  readonly target: KubeTarget;
  readonly identity: Identity;
  /**
   * The credential behind `identity.token` when it changes during a run (an exec plugin's, a
   * token file's): `identity.credential` names it, and whoever sends keeps it fresh.
   */
  readonly credential?: RefreshingToken;
  /** The context's namespace, if it has one. */
  readonly namespace?: string;
  /**
   * The file that holds the context in use (its directory holds `cluster up`'s
   * identities.json); none for the in-cluster config.
   */
  readonly file?: string;
}

/**
 * The files a kubeconfig is read from, merged as kubectl merges them. `explicit`: a file given
 * with --kubeconfig FILE, which must exist; otherwise the KUBECONFIG list, whose missing or
 * empty files kubectl skips.
 */
export interface KubeconfigSource {
  readonly files: readonly string[];
  readonly explicit: boolean;
}

/**
 * kubectl's default chain: the files of $KUBECONFIG (`:`-separated, empty entries and repeats
 * dropped), else ~/.kube/config.
 */
export function defaultKubeconfigSource(
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): KubeconfigSource {
  const listed = [...new Set((env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== ''))];
  return { files: listed.length > 0 ? listed : [join(home, '.kube', 'config')], explicit: false };
}

const optionalString = z.string().optional();

const clusterSchema = z.looseObject({
  // Required only of the cluster the context uses (checkContext), as kubectl does.
  server: optionalString,
  'certificate-authority': optionalString,
  'certificate-authority-data': optionalString,
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': optionalString,
});

const execSchema = z.looseObject({
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
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

const contextSchema = z.looseObject({
  cluster: z.string(),
  user: z.string(),
  namespace: optionalString,
});

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
type Cluster = z.output<typeof clusterSchema>;
type User = z.output<typeof userSchema>;
type Context = z.output<typeof contextSchema>;

/** One file of a chain, read and of the right shape. */
export interface KubeconfigFile {
  readonly file: string;
  readonly text: string;
  readonly doc: KubeconfigDocument;
}

/** A cluster, context or user of a merged kubeconfig, and where it was written. */
export interface MergedEntry<T> {
  readonly value: T;
  readonly file: string;
  /** Its path in `file`, e.g. `['clusters', 2]`. */
  readonly at: Path;
}

/**
 * Several kubeconfig files as one, by kubectl's rules (client-go `ClientConfigLoadingRules.Load`):
 * for clusters, contexts and users the first file that names an entry wins it whole (entries are
 * never merged field by field); `current-context` comes from the first file that sets one. File
 * paths in an entry stay as written and are resolved against the file that holds it.
 */
export interface MergedKubeconfig {
  readonly currentContext?: { readonly name: string; readonly file: string };
  readonly clusters: ReadonlyMap<string, MergedEntry<Cluster>>;
  readonly contexts: ReadonlyMap<string, MergedEntry<Context>>;
  readonly users: ReadonlyMap<string, MergedEntry<User>>;
}

export function mergeKubeconfigs(files: readonly KubeconfigFile[]): MergedKubeconfig {
  const clusters = new Map<string, MergedEntry<Cluster>>();
  const contexts = new Map<string, MergedEntry<Context>>();
  const users = new Map<string, MergedEntry<User>>();
  let currentContext: MergedKubeconfig['currentContext'];
  const add = <T>(
    into: Map<string, MergedEntry<T>>,
    file: string,
    list: string,
    entries: readonly { name: string; value: T }[],
  ) =>
    entries.forEach(({ name, value }, i) => {
      if (!into.has(name)) into.set(name, { value, file, at: [list, i] });
    });
  for (const { file, doc } of files) {
    const cc = doc['current-context'];
    if (currentContext === undefined && cc !== undefined && cc !== '')
      currentContext = { name: cc, file };
    add(
      clusters,
      file,
      'clusters',
      (doc.clusters ?? []).map((e) => ({ ...e, value: e.cluster })),
    );
    add(
      contexts,
      file,
      'contexts',
      (doc.contexts ?? []).map((e) => ({ ...e, value: e.context })),
    );
    add(
      users,
      file,
      'users',
      (doc.users ?? []).map((e) => ({ ...e, value: e.user ?? {} })),
    );
  }
  return { ...(currentContext === undefined ? {} : { currentContext }), clusters, contexts, users };
}

/** The same name twice in one list, which kubectl refuses ("duplicate name in list"). */
function duplicateNames(doc: KubeconfigDocument): { at: Path; message: string }[] {
  return (['clusters', 'contexts', 'users'] as const).flatMap((list) => {
    const names = (doc[list] ?? []).map((e) => e.name);
    return names.flatMap((name, i) => {
      const first = names.indexOf(name);
      return first < i
        ? [{ at: [list, i, 'name'], message: `repeats the name of ${list}[${first}]` }]
        : [];
    });
  });
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

/**
 * Reads and shape-checks every file of `source`. Each file's problems are reported at once, with
 * their locations; a missing or empty file of a KUBECONFIG list is skipped, as kubectl skips it.
 */
export async function readKubeconfigFiles(source: KubeconfigSource): Promise<KubeconfigFile[]> {
  const problems: Problem[] = [];
  const files: KubeconfigFile[] = [];
  for (const file of source.files) {
    const read = await readInputFile(file);
    if (!read.ok) {
      if (!source.explicit && read.reason === 'ENOENT') continue;
      problems.push(...read.problems);
      continue;
    }
    if (!source.explicit && read.text.trim() === '') continue;
    const result = validateYaml(documentShape, read.text, file);
    if (!result.ok) problems.push(...result.problems);
    else {
      const duplicates = duplicateNames(result.value);
      problems.push(...duplicates.map((d) => locateProblem(read.text, file, d.at, d.message)));
      files.push({ file, text: read.text, doc: result.value });
    }
  }
  if (problems.length > 0) throw invalidKubeconfig(problems);
  if (files.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_NO_KUBECONFIG',
      `no kubeconfig: ${source.files.join(delimiter)} ${source.files.length === 1 ? 'does not exist' : 'name no file that exists'}`,
      {
        kind: 'invalid-input',
        hint: 'set KUBECONFIG, pass --kubeconfig FILE, or --in-cluster inside a pod',
      },
    );
  }
  return files;
}

const isServerUrl = (server: string) =>
  URL.canParse(server) && ['https:', 'http:'].includes(new URL(server).protocol);

/** The context in use and its cluster and user, with where each was written. */
interface ChosenContext {
  readonly name: string;
  readonly context: MergedEntry<Context>;
  readonly cluster: MergedEntry<Cluster>;
  readonly user: MergedEntry<User>;
}

/**
 * What kubectl checks of the context in use: it exists, names a cluster and a user that exist,
 * and that cluster has a server URL. `contextFlag` is --context. Every problem is located in
 * the file that holds the entry at fault.
 */
function chooseContext(
  files: readonly KubeconfigFile[],
  merged: MergedKubeconfig,
  contextFlag: string | undefined,
): ChosenContext {
  const texts = new Map(files.map((f) => [f.file, f.text]));
  const problems: Problem[] = [];
  const report = (file: string, at: Path, message: string) =>
    problems.push(locateProblem(texts.get(file)!, file, at, message));
  const fail = () => invalidKubeconfig(problems);
  const first = files[0]!.file;

  const name = contextFlag ?? merged.currentContext?.name;
  if (name === undefined) {
    report(first, ['current-context'], 'is required, or pass --context');
    throw fail();
  }
  const context = merged.contexts.get(name);
  if (context === undefined) {
    if (contextFlag === undefined)
      report(merged.currentContext!.file, ['current-context'], 'names no entry of contexts');
    else report(first, ['contexts'], `has no context named ${JSON.stringify(name)} (--context)`);
    throw fail();
  }
  const cluster = merged.clusters.get(context.value.cluster);
  const user = merged.users.get(context.value.user);
  if (cluster === undefined)
    report(context.file, [...context.at, 'context', 'cluster'], 'names no entry of clusters');
  if (user === undefined)
    report(context.file, [...context.at, 'context', 'user'], 'names no entry of users');
  if (cluster !== undefined) {
    const { server } = cluster.value;
    const at = [...cluster.at, 'cluster', 'server'];
    if (server === undefined) report(cluster.file, at, 'is required');
    else if (!isServerUrl(server))
      report(cluster.file, at, 'must be a URL such as https://127.0.0.1:6443');
  }
  if (problems.length > 0) throw fail();
  return { name, context, cluster: cluster!, user: user! };
}

/** A path as kubectl resolves it: relative to the directory of the file that holds it. */
export function resolveAgainst(file: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(resolve(file)), path);
}

/**
 * Loads a kubeconfig the way kubectl does for the fields apfbench supports: one file, or several
 * merged (mergeKubeconfigs); server, CA (data or file), insecure-skip-tls-verify, bearer token
 * (inline or file), client certificate (data or file), impersonation (`as`, `as-groups`) and exec
 * credential plugins (as EKS and GKE use). A string is one file given with --kubeconfig.
 * Throws an InvalidFileError, listing every problem with its field, for a file that is not one
 * or names files that cannot be read. A server that is not loopback is refused (unless
 * `allowRemote`) before any file the kubeconfig names is read and before its exec plugin runs:
 * neither is for a cluster that will not be loaded.
 */
export async function loadKubeconfig(
  source: string | KubeconfigSource,
  contextName?: string,
  opts: { readonly allowRemote?: boolean } = {},
): Promise<ResolvedKubeconfig> {
  const files = await readKubeconfigFiles(
    typeof source === 'string' ? { files: [source], explicit: true } : source,
  );
  const chosen = chooseContext(files, mergeKubeconfigs(files), contextName);
  const { cluster, user } = chosen;
  await assertTargetAllowed(cluster.value.server!, opts.allowRemote ?? false);
  const problems: Problem[] = [];
  // A file a field names, relative to the kubeconfig that holds it; one that cannot be read is a problem.
  const fileOf = async (of: MergedEntry<unknown>, at: Path, path: string) => {
    const absolute = resolveAgainst(of.file, path);
    try {
      return await readFile(absolute, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      problems.push({
        file: of.file,
        line: 0,
        column: 0,
        path: formatPath(at),
        message: `cannot read ${absolute} (${reason})`,
      });
      return undefined;
    }
  };
  const pem = async (
    of: MergedEntry<Record<string, unknown>>,
    kind: string,
    dataKey: string,
    fileKey: string,
  ) => {
    const data = of.value[dataKey];
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    const path = of.value[fileKey];
    return typeof path === 'string' ? fileOf(of, [...of.at, kind, fileKey], path) : undefined;
  };

  const { server, 'tls-server-name': tlsServerName } = cluster.value;
  const ca = await pem(cluster, 'cluster', 'certificate-authority-data', 'certificate-authority');
  const cert = await pem(user, 'user', 'client-certificate-data', 'client-certificate');
  const key = await pem(user, 'user', 'client-key-data', 'client-key');
  const { token, tokenFile, exec, as, 'as-groups': groups } = user.value;
  let credential: RefreshingToken | undefined;
  const credentialName = `kubeconfig user ${JSON.stringify(chosen.context.value.user)}`;
  if (token === undefined && tokenFile !== undefined) {
    const at = [...user.at, 'user', 'tokenFile'];
    const first = (await fileOf(user, at, tokenFile))?.trim();
    if (first !== undefined) {
      const path = resolveAgainst(user.file, tokenFile);
      credential = new RefreshingToken(
        credentialName,
        async () => ({ token: (await readFile(path, 'utf8')).trim() }),
        { token: first },
        { rereadMs: TOKEN_REREAD_MS },
      );
    }
  }
  if (problems.length > 0) throw invalidKubeconfig(problems);
  if (token === undefined && tokenFile === undefined && exec !== undefined) {
    const plugin = { ...exec, command: execCommand(user.file, exec.command) };
    const run = () => execCredential(plugin, user.file, [...user.at, 'user', 'exec', 'command']);
    credential = new RefreshingToken(credentialName, run, await run());
  }

  const target: KubeTarget = {
    server: server!.replace(/\/+$/, ''),
    ...(ca === undefined ? {} : { ca }),
    ...(cluster.value['insecure-skip-tls-verify'] === true ? { insecureSkipTLSVerify: true } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCert: { cert, key } } : {}),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
  };
  const bearer = credential?.token ?? token;
  const identity: Identity = {
    name: as ?? chosen.context.value.user,
    ...(bearer === undefined ? {} : { token: bearer }),
    ...(credential === undefined ? {} : { credential: credential.name }),
    ...(as === undefined ? {} : { impersonate: { user: as, ...(groups ? { groups } : {}) } }),
  };
  const { namespace } = chosen.context.value;
  return {
    context: chosen.name,
    target,
    identity,
    ...(credential === undefined ? {} : { credential }),
    ...(namespace === undefined ? {} : { namespace }),
    file: chosen.context.file,
  };
}

/**
 * An exec plugin's command as kubectl runs it: a relative path (one with a `/`) is relative to
 * the kubeconfig that names it; a bare name is looked up on PATH.
 */
function execCommand(file: string, command: string): string {
  return command.includes('/') ? resolveAgainst(file, command) : command;
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
 * Runs a client.authentication.k8s.io exec plugin and returns its bearer token, with its
 * `expirationTimestamp` if it gave one. A plugin that is not there or cannot be run is a problem
 * of the kubeconfig at `at` (its `command`).
 */
async function execCredential(exec: ExecConfig, file: string, at: Path): Promise<FetchedToken> {
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
  let status: { token?: unknown; expirationTimestamp?: unknown } | undefined;
  try {
    status = (JSON.parse(stdout) as { status?: typeof status } | null)?.status;
  } catch (cause) {
    throw failed('printed no ExecCredential JSON', cause);
  }
  const { token, expirationTimestamp: expiry } = status ?? {};
  if (typeof token !== 'string') throw failed('returned no status.token');
  if (expiry === undefined || expiry === null) return { token };
  const expiresAt = typeof expiry === 'string' ? Date.parse(expiry) : NaN;
  if (Number.isNaN(expiresAt))
    throw failed(`returned an expirationTimestamp that is not a time (${String(expiry)})`);
  return { token, expiresAt };
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
