import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { ApfbenchError, throwIfAborted } from '../errors.js';
import { KubeClient, Transport, renderKubeconfig, type KubeTarget } from '../kube/index.js';
import { resolveBinaries, type BinaryOptions, type ControlPlaneBinaries } from './binaries.js';
import { bootstrapLoadIdentities } from './bootstrap.js';
import {
  defaultIdentityCounts,
  generateIdentities,
  readIdentitiesFile,
  renderTokenFile,
  type IdentitiesFile,
  type IdentityCounts,
} from './identities.js';
import { mergeFlags } from '../profile/server-flags.js';
import { generatePki } from './pki.js';
import {
  assertPortFree,
  freePort,
  isAlive,
  runsBinary,
  startProcess,
  stopPid,
  waitUntilReady,
  type Spawned,
} from './processes.js';

export interface LocalClusterOptions extends BinaryOptions {
  /** Where the data goes; a fresh temporary directory when left out. */
  readonly dir?: string | undefined;
  readonly identities?: Partial<IdentityCounts>;
  /** Tenant user names to issue tokens for, besides `tenant-<i>`. */
  readonly extraTenants?: readonly string[];
  readonly maxRequestsInflight?: number | undefined;
  readonly maxMutatingRequestsInflight?: number | undefined;
  /** Extra kube-apiserver flags as `key=value` (without `--`); they override apfbench's. */
  readonly apiserverArgs?: readonly string[];
  readonly etcdArgs?: readonly string[];
  /** Secure port for kube-apiserver; a free one when left out. */
  readonly port?: number | undefined;
  readonly readyTimeoutMs?: number;
  /** Detached processes outlive this process once ready (`cluster up`); otherwise `stop()` or exit ends them. */
  readonly detached?: boolean;
  /** Ctrl-C: stops the start; what it started is stopped and DIR removed. */
  readonly signal?: AbortSignal | undefined;
}

/** Written to DIR/state.json: what `cluster status` and `cluster down` read. */
export interface ClusterState {
  readonly version: 1;
  readonly server: string;
  readonly startedAt: string;
  readonly binaries: ControlPlaneBinaries;
  readonly processes: { name: 'etcd' | 'kube-apiserver'; pid: number; bin: string; log: string }[];
  readonly ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  readonly apiserverArgs: string[];
}

export interface LocalCluster {
  readonly dir: string;
  readonly target: KubeTarget;
  readonly kubeconfigPath: string;
  readonly identitiesPath: string;
  readonly identities: IdentitiesFile;
  readonly state: ClusterState;
  /** A client as the admin (system:masters); for setup, fixtures and metrics only. */
  admin(): KubeClient;
  /**
   * Kills kube-apiserver (SIGKILL by default, as a crash) and starts it again
   * on the same port and data after `downMs`, resolving once it is ready.
   */
  restartApiserver(opts?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  /** Stops both processes and removes DIR. Idempotent. */
  stop(): Promise<void>;
}

const stateFile = (dir: string) => join(dir, 'state.json');

export async function readClusterState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** What a control plane writes in its DIR. */
const CLUSTER_DIR_ENTRIES = new Set([
  'state.json',
  'pki',
  'tokens.csv',
  'etcd-data',
  'etcd.log',
  'kube-apiserver.log',
  'kubeconfig',
  'identities.json',
]);

/**
 * Refuses a DIR that `cluster up` must not wipe: one a running control plane still uses, and one
 * that holds anything but an earlier control plane's files (`--dir .` would delete the work tree).
 * A DIR that does not exist, is empty, has a state.json of a stopped control plane, or holds what
 * a failed start left (its logs) is reused.
 */
async function assertUsableDir(dir: string, given: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new ApfbenchError('APFBENCH_BAD_DIR', `--dir ${given}: ${err.code ?? err.message}`, {
      kind: 'invalid-input',
      hint: 'give a directory that does not exist yet: apfbench creates it and `cluster down` removes it',
    });
  });
  const previous = await readClusterState(dir);
  const foreign = entries.filter((name) => !CLUSTER_DIR_ENTRIES.has(name));
  if (foreign.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_BAD_DIR',
      `--dir ${given} holds files that are not a control plane's (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}): cluster up replaces the directory, so it refuses one with other files`,
      {
        kind: 'invalid-input',
        hint: 'give a new or empty directory, such as /tmp/apfbench-cluster',
      },
    );
  }
  if (previous?.processes.some((p) => isAlive(p.pid))) {
    throw new ApfbenchError(
      'APFBENCH_CLUSTER_RUNNING',
      `a control plane already runs from ${dir}`,
      {
        kind: 'invalid-input',
        hint: `stop it with \`apfbench cluster down --dir ${given}\`, or pick another --dir`,
      },
    );
  }
}

/** The server processes one start spawned, stopped by PID; see `ownProcesses`. */
interface OwnedProcesses {
  readonly started: Spawned[];
  /** Stops every process started, the last first. */
  stop(): Promise<void>;
  /** No longer stops them when this process exits or gets SIGHUP. */
  release(): void;
}

/**
 * Processes that end with this one: on exit they are killed and DIR removed, and on SIGHUP too before this
 * process exits. The servers are in a process group of their own (startProcess), so a closed
 * terminal's SIGHUP reaches only apfbench, which would die without its 'exit' handlers.
 */
function ownProcesses(dir: string): OwnedProcesses {
  const started: Spawned[] = [];
  // A forced exit (a second Ctrl-C, SIGHUP) takes the keys, tokens and etcd data with it too.
  const killAll = () => {
    for (const p of started) if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onHangup = () => {
    killAll();
    process.exit(129);
  };
  process.once('exit', killAll);
  process.once('SIGHUP', onHangup);
  return {
    started,
    stop: async () => {
      for (const p of [...started].reverse()) await stopPid(p.pid);
    },
    release: () => {
      process.removeListener('exit', killAll);
      process.removeListener('SIGHUP', onHangup);
    },
  };
}

/**
 * After a failed start: no keys, tokens or etcd data stay behind. The logs stay when a server ran
 * and the error points at them; after an interrupt, or when no server ran, DIR goes altogether.
 */
async function removeAfterFailedStart(dir: string, keepLogs: boolean): Promise<void> {
  const doomed = keepLogs ? ['pki', 'tokens.csv', 'etcd-data'].map((n) => join(dir, n)) : [dir];
  for (const path of doomed) await rm(path, { recursive: true, force: true });
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
  const binaries = await resolveBinaries(opts);
  throwIfAborted(opts.signal, 'before the control plane started');
  const dir =
    opts.dir === undefined ? await mkdtemp(join(tmpdir(), 'apfbench-run-')) : resolve(opts.dir);
  const owned = ownProcesses(dir);
  try {
    const cluster = await launch(dir, binaries, owned, opts);
    // From here a detached control plane is on its own: `cluster down` stops it.
    if (opts.detached === true) owned.release();
    return cluster;
  } catch (err) {
    await owned.stop();
    owned.release();
    const aborted = err instanceof ApfbenchError && err.kind === 'interrupted';
    await removeAfterFailedStart(dir, owned.started.length > 0 && !aborted);
    throw err;
  }
}

/** `startLocalCluster` once DIR is chosen: everything it may have to undo. */
async function launch(
  dir: string,
  binaries: ControlPlaneBinaries,
  owned: OwnedProcesses,
  opts: LocalClusterOptions,
): Promise<LocalCluster> {
  const say = opts.onProgress ?? (() => {});
  if (opts.dir !== undefined) await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'pki'), { recursive: true, mode: 0o700 });

  const pki = await generatePki();
  const identities = generateIdentities(
    { ...defaultIdentityCounts, ...opts.identities },
    opts.extraTenants,
  );
  const file = (name: string) => join(dir, name);
  const secret = async (name: string, content: string) => {
    await writeFile(file(name), content, { mode: 0o600 });
    return file(name);
  };
  const caFile = await secret('pki/ca.crt', pki.ca.cert);
  await secret('pki/ca.key', pki.ca.key);
  const certFile = await secret('pki/apiserver.crt', pki.serving.cert);
  const keyFile = await secret('pki/apiserver.key', pki.serving.key);
  const saPub = await secret('pki/sa.pub', pki.serviceAccount.publicKey);
  const saKey = await secret('pki/sa.key', pki.serviceAccount.privateKey);
  const tokenFile = await secret('tokens.csv', renderTokenFile(identities));

  if (opts.port !== undefined) await assertPortFree(opts.port, 'kube-apiserver');
  const ports = {
    apiserver: opts.port ?? (await freePort()),
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
  };
  const detached = opts.detached ?? false;
  const { started } = owned;

  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcdArgs = mergeFlags(
    {
      name: 'apfbench',
      'data-dir': file('etcd-data'),
      'listen-client-urls': etcdUrl,
      'advertise-client-urls': etcdUrl,
      'listen-peer-urls': peerUrl,
      'initial-advertise-peer-urls': peerUrl,
      'initial-cluster': `apfbench=${peerUrl}`,
      'log-level': 'warn',
      'quota-backend-bytes': String(8 * 1024 ** 3),
    },
    opts.etcdArgs ?? [],
  );
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const apiserverArgs = mergeFlags(
    {
      'etcd-servers': etcdUrl,
      'bind-address': '127.0.0.1',
      'advertise-address': '127.0.0.1',
      'secure-port': String(ports.apiserver),
      'tls-cert-file': certFile,
      'tls-private-key-file': keyFile,
      'client-ca-file': caFile,
      'cert-dir': file('pki'),
      'service-account-key-file': saPub,
      'service-account-signing-key-file': saKey,
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
      'token-auth-file': tokenFile,
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'service-cluster-ip-range': '10.96.0.0/16',
      'enable-priority-and-fairness': 'true',
      // The endpoint reconciler refuses a loopback advertise address; nothing here needs the kubernetes Service endpoints.
      'endpoint-reconciler-type': 'none',
      ...(opts.maxRequestsInflight === undefined
        ? {}
        : { 'max-requests-inflight': String(opts.maxRequestsInflight) }),
      ...(opts.maxMutatingRequestsInflight === undefined
        ? {}
        : { 'max-mutating-requests-inflight': String(opts.maxMutatingRequestsInflight) }),
    },
    opts.apiserverArgs ?? [],
  );

  const target: KubeTarget = { server, ca: pki.ca.cert };
  const adminIdentity = { name: identities.admin.user, token: identities.admin.token };
  /** Starts kube-apiserver (on the same port and data each time) and waits for /readyz. */
  const launchApiserver = async (signal?: AbortSignal) => {
    const apiserver = startProcess(
      'kube-apiserver',
      binaries.apiserver,
      apiserverArgs,
      file('kube-apiserver.log'),
      detached,
    );
    started.push(apiserver);
    const probe = new Transport(target, { connections: 1, headersTimeoutMs: 5000 });
    try {
      await waitUntilReady(
        apiserver,
        async () =>
          (
            await probe.send({
              method: 'GET',
              path: '/readyz',
              identity: adminIdentity,
              discardBody: true,
            })
          ).status === 200,
        {
          timeoutMs: opts.readyTimeoutMs ?? 180_000,
          onWait: (ms) => say(`  waiting for /readyz (${Math.round(ms / 1000)}s)`),
          signal,
        },
      );
    } finally {
      await probe.close();
    }
  };
  say(`starting etcd on ${etcdUrl}`);
  const etcd = startProcess('etcd', binaries.etcd, etcdArgs, file('etcd.log'), detached);
  started.push(etcd);
  await waitUntilReady(etcd, () => etcdHealthy(etcdUrl), {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    signal: opts.signal,
  });

  say(`starting kube-apiserver on ${server}`);
  await launchApiserver(opts.signal);
  const setup = new Transport(target, { connections: 4 });
  await bootstrapLoadIdentities(new KubeClient(setup, adminIdentity)).finally(() => setup.close());
  throwIfAborted(opts.signal, 'while the control plane was starting');

  const kubeconfigPath = await secret(
    'kubeconfig',
    renderKubeconfig({ server, ca: pki.ca.cert, token: identities.admin.token }),
  );
  const identitiesPath = await secret('identities.json', JSON.stringify(identities, null, 2));
  const startedAt = new Date().toISOString();
  const currentState = (): ClusterState => ({
    version: 1,
    server,
    startedAt,
    binaries,
    processes: started.map((p) => ({
      name: p.name as 'etcd' | 'kube-apiserver',
      pid: p.pid,
      bin: p.name === 'etcd' ? binaries.etcd : binaries.apiserver,
      log: p.logFile,
    })),
    ports,
    apiserverArgs,
  });
  const saveState = () => writeFile(stateFile(dir), JSON.stringify(currentState(), null, 2));
  await saveState();

  let stopped = false;
  return {
    dir,
    target,
    kubeconfigPath,
    identitiesPath,
    identities,
    get state() {
      return currentState();
    },
    restartApiserver: async ({ downMs = 0, signal = 'SIGKILL' } = {}) => {
      const old = started.findIndex((p) => p.name === 'kube-apiserver');
      if (old >= 0) {
        const [proc] = started.splice(old, 1);
        process.kill(proc!.pid, signal);
        await proc!.exited;
      }
      await sleep(downMs);
      await launchApiserver();
      await saveState();
    },
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
