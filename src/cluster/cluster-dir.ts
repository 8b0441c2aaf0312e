// What a local control plane keeps in its directory, and who may reuse or remove that directory.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import type { ControlPlaneBinaries } from './binaries.js';
import { renderTokenFile, type IdentitiesFile } from './identities.js';
import type { ClusterPki } from './pki.js';
import { isAlive } from './processes.js';
import type { ApiserverFiles, ControlPlanePorts } from './server-flags.js';

/** Written to DIR/state.json: what `cluster status` and `cluster down` read. */
export interface ClusterState {
  readonly version: 1;
  readonly server: string;
  readonly startedAt: string;
  readonly binaries: ControlPlaneBinaries;
  readonly processes: { name: 'etcd' | 'kube-apiserver'; pid: number; bin: string; log: string }[];
  readonly ports: ControlPlanePorts;
  readonly apiserverArgs: string[];
  /** The audit log, when the control plane writes one. */
  readonly auditLog?: string;
}

/** DIR/owner.json, in the directory of a control plane that ends with the process that started it. */
export const OWNER_FILE = 'owner.json';

/** What a control plane writes in its DIR. */
export const CLUSTER_DIR_ENTRIES: ReadonlySet<string> = new Set([
  'state.json',
  OWNER_FILE,
  'pki',
  'tokens.csv',
  'etcd-data',
  'etcd.log',
  'kube-apiserver.log',
  'kubeconfig',
  'identities.json',
  'audit',
]);

export const stateFile = (dir: string) => join(dir, 'state.json');

export async function readClusterState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export async function writeClusterState(dir: string, state: ClusterState): Promise<void> {
  await writeFile(stateFile(dir), JSON.stringify(state, null, 2));
}

/** Writes DIR/name with mode 0600 (keys, tokens, kubeconfigs); returns its path. */
export async function writeSecret(dir: string, name: string, content: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, content, { mode: 0o600 });
  return file;
}

/** Writes the keys, certificates and token file kube-apiserver reads, under DIR/pki (mode 0700). */
export async function writeServerSecrets(
  dir: string,
  pki: ClusterPki,
  identities: IdentitiesFile,
): Promise<ApiserverFiles> {
  await mkdir(join(dir, 'pki'), { recursive: true, mode: 0o700 });
  const secret = (name: string, content: string) => writeSecret(dir, name, content);
  const ca = await secret('pki/ca.crt', pki.ca.cert);
  await secret('pki/ca.key', pki.ca.key);
  return {
    ca,
    cert: await secret('pki/apiserver.crt', pki.serving.cert),
    key: await secret('pki/apiserver.key', pki.serving.key),
    serviceAccountPublicKey: await secret('pki/sa.pub', pki.serviceAccount.publicKey),
    serviceAccountKey: await secret('pki/sa.key', pki.serviceAccount.privateKey),
    tokens: await secret('tokens.csv', renderTokenFile(identities)),
    certDir: join(dir, 'pki'),
  };
}

/**
 * Refuses a DIR that `cluster up` must not wipe: one a running control plane still uses, and one
 * that holds anything but an earlier control plane's files (`--dir .` would delete the work tree).
 * A DIR that does not exist, is empty, has a state.json of a stopped control plane, or holds what
 * a failed start left (its logs) is reused.
 */
export async function assertUsableDir(dir: string, given: string): Promise<void> {
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

/**
 * After a failed start: no keys, tokens or etcd data stay behind. The logs stay when a server ran
 * and the error points at them (an owner.json stays too, so that the next start removes them once
 * this process is gone); after an interrupt, or when no server ran, DIR goes altogether.
 */
export async function removeAfterFailedStart(dir: string, keepLogs: boolean): Promise<void> {
  const doomed = keepLogs ? ['pki', 'tokens.csv', 'etcd-data'].map((n) => join(dir, n)) : [dir];
  for (const path of doomed) await rm(path, { recursive: true, force: true });
}
