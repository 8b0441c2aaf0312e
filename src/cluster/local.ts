import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { ApfbenchError, throwIfAborted } from '../errors.js';
import type { AuditPolicy } from '../profile/index.js';
import {
  KubeClient,
  Transport,
  renderKubeconfig,
  type Identity,
  type KubeTarget,
} from '../kube/index.js';
import { planAudit, removeAuditLeftover, writeAuditFiles, type AuditPlan } from './audit.js';
import { formatMs } from '../metrics/format.js';
import { resolveBinaries, type BinaryOptions, type ControlPlaneBinaries } from './binaries.js';
import { bootstrapLoadIdentities } from './bootstrap.js';
import {
  assertUsableDir,
  readClusterState,
  removeAfterFailedStart,
  writeClusterState,
  writeSecret,
  writeServerSecrets,
  type ClusterState,
} from './cluster-dir.js';
import {
  defaultIdentityCounts,
  generateIdentities,
  issueCertificates,
  readIdentitiesFile,
  type ExtraUser,
  type IdentitiesFile,
  type IdentityCounts,
} from './identities.js';
import { ownProcesses, type OwnedProcesses, type ServerName } from './owned-processes.js';
import { writeOwnerMarker } from './owner.js';
import { generatePki } from './pki.js';
import {
  assertPortFree,
  freePort,
  isAlive,
  runsBinary,
  stopPid,
  waitUntilReady,
  type Spawned,
} from './processes.js';
import { RUN_DIR_PREFIX, removeStaleRunDirs } from './run-dirs.js';
import {
  apiserverFlags,
  apiserverUrl,
  etcdClientUrl,
  etcdFlags,
  type ControlPlanePorts,
} from './server-flags.js';

export { readClusterState, type ClusterState } from './cluster-dir.js';
export type { ServerName } from './owned-processes.js';

export interface LocalClusterOptions extends BinaryOptions {
  /** Where the data goes; a fresh temporary directory when left out. */
  readonly dir?: string | undefined;
  readonly identities?: Partial<IdentityCounts>;
  /** Users to issue tokens for, besides `tenant-<i>` (generateIdentities says with which groups). */
  readonly extraTenants?: readonly (string | ExtraUser)[];
  readonly maxRequestsInflight?: number | undefined;
  readonly maxMutatingRequestsInflight?: number | undefined;
  /** Extra kube-apiserver flags as `key=value` (without `--`); they override apfbench's. */
  readonly apiserverArgs?: readonly string[];
  readonly etcdArgs?: readonly string[];
  /**
   * The audit policy: a level (a policy of one rule) or a policy file. Left out, the server
   * audits nothing (no audit flags at all, which is not the same as the level None).
   */
  readonly auditPolicy?: AuditPolicy | undefined;
  /** Where the audit log goes (with `auditPolicy`); DIR/audit/audit.log when left out. */
  readonly auditLogPath?: string | undefined;
  /** Secure port for kube-apiserver; a free one when left out. */
  readonly port?: number | undefined;
  readonly readyTimeoutMs?: number;
  /**
   * Detached processes outlive this process once ready (`cluster up`); otherwise `stop()` or
   * exit ends them, and a SIGKILL of this process too (the servers watch their owner).
   */
  readonly detached?: boolean;
  /** Ctrl-C: stops the start; what it started is stopped and DIR removed. */
  readonly signal?: AbortSignal | undefined;
}

export interface LocalCluster {
  readonly dir: string;
  readonly target: KubeTarget;
  readonly kubeconfigPath: string;
  readonly identitiesPath: string;
  readonly identities: IdentitiesFile;
  readonly state: ClusterState;
  /** The audit log's path (JSON lines of audit.k8s.io/v1 Events), with `auditPolicy`. */
  readonly auditLog?: string;
  /** The policy it audits by, with `auditLog`. */
  readonly auditPolicy?: AuditPolicy;
  /** A client as the admin (system:masters); for setup, fixtures and metrics only. */
  admin(): KubeClient;
  /**
   * Kills `name` (SIGKILL by default, as a crash) and starts it again after `downMs` with the
   * same binary, flags, ports and data, resolving once it is ready again. The new process is
   * owned as the first was (stopped with the cluster, watching its owner) and written to
   * state.json as soon as it is spawned, so that `cluster down` stops it even when it never
   * gets ready.
   */
  restart(name: ServerName, opts?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  /** SIGSTOP to `name`: it keeps its sockets open and answers nothing until `resume`. */
  pause(name: ServerName): void;
  /** SIGCONT to `name`. */
  resume(name: ServerName): void;
  /** Stops both processes and removes DIR. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A fresh temporary directory for an ephemeral control plane, after removing those that earlier
 * apfbench processes, killed before they could, left behind.
 */
async function ephemeralDir(say: (line: string) => void): Promise<string> {
  for (const stale of await removeStaleRunDirs()) {
    const killed = stale.killed.length > 0 ? `, killed pid ${stale.killed.join(', ')}` : '';
    say(`removed ${stale.dir}: its apfbench (pid ${stale.ownerPid}) is gone${killed}`);
  }
  return mkdtemp(join(tmpdir(), RUN_DIR_PREFIX));
}

/**
 * Starts etcd and kube-apiserver on loopback with data under `dir` (a fresh temporary directory
 * when left out), waits for /readyz, grants the load identities what they need, and writes
 * DIR/kubeconfig (admin) and DIR/identities.json (mode 0600). Until it returns the processes
 * belong to this process, detached or not: when the start fails, `signal` aborts (it then throws
 * `interrupted`), this process exits or gets SIGHUP, they are stopped and DIR is cleaned up.
 */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  if (opts.dir !== undefined) await assertUsableDir(resolve(opts.dir), opts.dir);
  const audit = await auditPlanOf(opts);
  const binaries = await resolveBinaries(opts);
  throwIfAborted(opts.signal, 'before the control plane started');
  const dir =
    opts.dir === undefined ? await ephemeralDir(opts.onProgress ?? (() => {})) : resolve(opts.dir);
  const owned = ownProcesses(dir, opts.detached ?? false);
  try {
    const cluster = await launch(dir, binaries, owned, opts, audit);
    // From here a detached control plane is on its own: `cluster down` stops it.
    if (opts.detached === true) owned.release();
    return cluster;
  } catch (err) {
    await owned.stop();
    owned.release();
    const aborted = err instanceof ApfbenchError && err.kind === 'interrupted';
    await removeAfterFailedStart(dir, owned.started.length > 0 && !aborted);
    await removeAuditLeftover(audit);
    throw err;
  }
}

/** The audit policy and log path, checked before anything starts. */
async function auditPlanOf(opts: LocalClusterOptions): Promise<AuditPlan | undefined> {
  if (opts.auditPolicy !== undefined) return planAudit(opts.auditPolicy, opts.auditLogPath);
  if (opts.auditLogPath === undefined) return undefined;
  throw new ApfbenchError(
    'APFBENCH_BAD_FLAG',
    `an audit log path (${opts.auditLogPath}) needs an audit policy`,
    { kind: 'invalid-input', hint: 'add --audit-policy Metadata (or another level, or a file)' },
  );
}

/** Free loopback ports, with `port` for kube-apiserver when given. */
async function choosePorts(port: number | undefined): Promise<ControlPlanePorts> {
  if (port !== undefined) await assertPortFree(port, 'kube-apiserver');
  return {
    apiserver: port ?? (await freePort()),
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
  };
}

/** Resolves once kube-apiserver `proc` answers /readyz with 200. */
async function apiserverReady(
  proc: Spawned,
  target: KubeTarget,
  admin: Identity,
  opts: Pick<LocalClusterOptions, 'readyTimeoutMs' | 'onProgress'> & {
    readonly signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const say = opts.onProgress ?? (() => {});
  const probe = new Transport(target, { connections: 1, headersTimeoutMs: 5000 });
  const ready = async () =>
    (await probe.send({ method: 'GET', path: '/readyz', identity: admin, discardBody: true }))
      .status === 200;
  try {
    await waitUntilReady(proc, ready, {
      timeoutMs: opts.readyTimeoutMs ?? 180_000,
      onWait: (ms) => say(`  waiting for /readyz (${Math.round(ms / 1000)}s)`),
      signal: opts.signal,
    });
  } finally {
    await probe.close();
  }
}

/** `startLocalCluster` once DIR is chosen: everything it may have to undo. */
async function launch(
  dir: string,
  binaries: ControlPlaneBinaries,
  owned: OwnedProcesses,
  opts: LocalClusterOptions,
  audit: AuditPlan | undefined,
): Promise<LocalCluster> {
  const say = opts.onProgress ?? (() => {});
  if (opts.dir !== undefined) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Before any secret: a directory with secrets and no owner.json is never cleaned up for us.
  if (opts.detached !== true) await writeOwnerMarker(dir);
  const pki = await generatePki();
  const issuing = performance.now();
  const identities = await issueCertificates(
    generateIdentities({ ...defaultIdentityCounts, ...opts.identities }, opts.extraTenants),
    pki.ca,
  );
  const certs = identities.nodes.length + identities.components.length;
  say(`issued ${certs} client certificates in ${formatMs(performance.now() - issuing)}`);
  const files = await writeServerSecrets(dir, pki, identities);
  const auditFiles = audit === undefined ? undefined : await writeAuditFiles(dir, audit);
  const ports = await choosePorts(opts.port);
  const etcdArgs = etcdFlags(join(dir, 'etcd-data'), ports, opts.etcdArgs);
  const apiserverArgs = apiserverFlags({
    ports,
    files,
    audit: auditFiles,
    maxRequestsInflight: opts.maxRequestsInflight,
    maxMutatingRequestsInflight: opts.maxMutatingRequestsInflight,
    extra: opts.apiserverArgs,
  });
  const server = apiserverUrl(ports);
  const target = { server, ca: pki.ca.cert };
  const adminIdentity = { name: identities.admin.user, token: identities.admin.token };
  const etcdUrl = etcdClientUrl(ports);
  /** Resolves once a server `owned` started (or restarted) is ready. */
  const ready = (proc: Spawned, signal?: AbortSignal) =>
    proc.name === 'etcd'
      ? waitUntilReady(proc, () => etcdHealthy(etcdUrl), {
          timeoutMs: opts.readyTimeoutMs ?? 60_000,
          signal,
        })
      : apiserverReady(proc, target, adminIdentity, { ...opts, signal });

  say(`starting etcd on ${etcdUrl}`);
  await ready(owned.start('etcd', binaries.etcd, etcdArgs, join(dir, 'etcd.log')), opts.signal);
  say(`starting kube-apiserver on ${server}`);
  await ready(
    owned.start(
      'kube-apiserver',
      binaries.apiserver,
      apiserverArgs,
      join(dir, 'kube-apiserver.log'),
    ),
    opts.signal,
  );
  const setup = new Transport(target, { connections: 4 });
  await bootstrapLoadIdentities(new KubeClient(setup, adminIdentity)).finally(() => setup.close());
  throwIfAborted(opts.signal, 'while the control plane was starting');

  return clusterHandle({
    dir,
    binaries,
    owned,
    target,
    identities,
    ports,
    apiserverArgs,
    ready,
    ...(auditFiles === undefined || opts.auditPolicy === undefined
      ? {}
      : { audit: { log: auditFiles.logPath, policy: opts.auditPolicy } }),
  });
}

/** A control plane that has started, as `clusterHandle` needs it. */
interface StartedControlPlane {
  readonly dir: string;
  readonly binaries: ControlPlaneBinaries;
  readonly owned: OwnedProcesses;
  readonly target: KubeTarget & { readonly ca: string };
  readonly identities: IdentitiesFile;
  readonly ports: ControlPlanePorts;
  readonly apiserverArgs: string[];
  /** Resolves once a server `owned` started is ready. */
  readonly ready: (proc: Spawned) => Promise<void>;
  readonly audit?: { readonly log: string; readonly policy: AuditPolicy };
}

/** Writes DIR/kubeconfig, DIR/identities.json and DIR/state.json, and returns the handle. */
async function clusterHandle(cp: StartedControlPlane): Promise<LocalCluster> {
  const { dir, binaries, owned, target, identities } = cp;
  const kubeconfigPath = await writeSecret(
    dir,
    'kubeconfig',
    renderKubeconfig({ server: target.server, ca: target.ca, token: identities.admin.token }),
  );
  const identitiesPath = await writeSecret(
    dir,
    'identities.json',
    JSON.stringify(identities, null, 2),
  );
  const startedAt = new Date().toISOString();
  const currentState = (): ClusterState => ({
    version: 1,
    server: target.server,
    startedAt,
    binaries,
    processes: owned.started.map((p) => ({
      name: p.name as 'etcd' | 'kube-apiserver',
      pid: p.pid,
      bin: p.name === 'etcd' ? binaries.etcd : binaries.apiserver,
      log: p.logFile,
    })),
    ports: cp.ports,
    apiserverArgs: cp.apiserverArgs,
    ...(cp.audit === undefined ? {} : { auditLog: cp.audit.log }),
  });
  const saveState = () => writeClusterState(dir, currentState());
  await saveState();

  const running = (name: ServerName) => owned.started.find((p) => p.name === name);
  const serverPid = (name: ServerName) => {
    const proc = running(name);
    if (proc === undefined) throw new Error(`${name} is not running`);
    return proc.pid;
  };
  const restart: LocalCluster['restart'] = async (
    name,
    { downMs = 0, signal = 'SIGKILL' } = {},
  ) => {
    const old = running(name);
    if (old !== undefined && isAlive(old.pid)) {
      process.kill(old.pid, signal);
      await old.exited;
    }
    await sleep(downMs);
    const proc = owned.relaunch(name);
    await saveState();
    await cp.ready(proc);
  };

  let stopped = false;
  return {
    dir,
    target,
    kubeconfigPath,
    identitiesPath,
    identities,
    ...(cp.audit === undefined ? {} : { auditLog: cp.audit.log, auditPolicy: cp.audit.policy }),
    get state() {
      return currentState();
    },
    restart,
    pause: (name) => process.kill(serverPid(name), 'SIGSTOP'),
    resume: (name) => process.kill(serverPid(name), 'SIGCONT'),
    admin: () =>
      new KubeClient(new Transport(target, { connections: 8 }), {
        name: 'admin',
        token: identities.admin.token,
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await owned.stop();
      owned.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function etcdHealthy(url: string): Promise<boolean> {
  const res = await request(`${url}/health`, { headersTimeout: 2000, bodyTimeout: 2000 });
  const body = (await res.body.json()) as { health?: string };
  return res.statusCode === 200 && body.health === 'true';
}

/**
 * Stops the processes recorded in DIR/state.json (checking each PID still runs
 * the recorded binary) and removes DIR. Returns what it stopped.
 */
export async function stopLocalCluster(dirArg: string): Promise<string[]> {
  const dir = resolve(dirArg);
  const state = await readClusterState(dir);
  if (state === undefined) {
    throw new ApfbenchError('APFBENCH_NO_CLUSTER', `no control plane state in ${dir}`, {
      kind: 'invalid-input',
      hint: 'was it started with `apfbench cluster up --dir` this directory?',
    });
  }
  const stopped: string[] = [];
  for (const p of [...state.processes].reverse()) {
    if (isAlive(p.pid) && (await runsBinary(p.pid, p.bin))) {
      await stopPid(p.pid);
      stopped.push(`${p.name} (pid ${p.pid})`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  return stopped;
}

export interface ClusterStatus {
  readonly dir: string;
  readonly state: ClusterState | undefined;
  readonly processes: { name: string; pid: number; alive: boolean }[];
  readonly ready: boolean;
}

export async function localClusterStatus(dirArg: string): Promise<ClusterStatus> {
  const dir = resolve(dirArg);
  const state = await readClusterState(dir);
  if (state === undefined) return { dir, state, processes: [], ready: false };
  const processes = state.processes.map((p) => ({
    name: p.name,
    pid: p.pid,
    alive: isAlive(p.pid),
  }));
  let ready = false;
  if (processes.every((p) => p.alive)) {
    const ids = await readIdentitiesFile(join(dir, 'identities.json'));
    const ca = await readFile(join(dir, 'pki/ca.crt'), 'utf8');
    const transport = new Transport(
      { server: state.server, ca },
      { connections: 1, headersTimeoutMs: 5000 },
    );
    const res = await transport.send({
      method: 'GET',
      path: '/readyz',
      identity: { name: 'admin', token: ids.admin.token },
      discardBody: true,
    });
    await transport.close();
    ready = res.status === 200;
  }
  return { dir, state, processes, ready };
}
