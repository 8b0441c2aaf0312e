import { mergeFlags } from '../profile/server-flags.js';
import { auditFlags, type AuditFiles } from './audit.js';

/** The loopback ports of one local control plane. */
export interface ControlPlanePorts {
  readonly apiserver: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
}

/** The files kube-apiserver reads, as `writeSecrets` lays them out. */
export interface ApiserverFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly serviceAccountPublicKey: string;
  readonly serviceAccountKey: string;
  readonly tokens: string;
  /** Where kube-apiserver may write certificates of its own. */
  readonly certDir: string;
}

export interface ApiserverFlagOptions {
  readonly ports: ControlPlanePorts;
  readonly files: ApiserverFiles;
  /** The audit policy and log; no audit flags when left out. */
  readonly audit?: AuditFiles | undefined;
  readonly maxRequestsInflight?: number | undefined;
  readonly maxMutatingRequestsInflight?: number | undefined;
  /** `key=value` (without `--`); they override apfbench's. */
  readonly extra?: readonly string[] | undefined;
}

export const etcdClientUrl = (ports: ControlPlanePorts) => `http://127.0.0.1:${ports.etcdClient}`;
export const apiserverUrl = (ports: ControlPlanePorts) => `https://127.0.0.1:${ports.apiserver}`;

/** A single-member etcd on loopback, with its data in `dataDir`; `extra` overrides. */
export function etcdFlags(
  dataDir: string,
  ports: ControlPlanePorts,
  extra: readonly string[] = [],
): string[] {
  const client = etcdClientUrl(ports);
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return mergeFlags(
    {
      name: 'apfbench',
      'data-dir': dataDir,
      'listen-client-urls': client,
      'advertise-client-urls': client,
      'listen-peer-urls': peer,
      'initial-advertise-peer-urls': peer,
      'initial-cluster': `apfbench=${peer}`,
      'log-level': 'warn',
      'quota-backend-bytes': String(8 * 1024 ** 3),
    },
    extra,
  );
}

/** kube-apiserver on loopback with token authentication, RBAC and APF; `extra` overrides. */
export function apiserverFlags(opts: ApiserverFlagOptions): string[] {
  const { ports, files } = opts;
  return mergeFlags(
    {
      'etcd-servers': etcdClientUrl(ports),
      'bind-address': '127.0.0.1',
      'advertise-address': '127.0.0.1',
      'secure-port': String(ports.apiserver),
      'tls-cert-file': files.cert,
      'tls-private-key-file': files.key,
      'client-ca-file': files.ca,
      'cert-dir': files.certDir,
      'service-account-key-file': files.serviceAccountPublicKey,
      'service-account-signing-key-file': files.serviceAccountKey,
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
      'token-auth-file': files.tokens,
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'service-cluster-ip-range': '10.96.0.0/16',
      'enable-priority-and-fairness': 'true',
      // The endpoint reconciler refuses a loopback advertise address; nothing here needs the kubernetes Service endpoints.
      'endpoint-reconciler-type': 'none',
      ...(opts.audit === undefined ? {} : auditFlags(opts.audit)),
      ...(opts.maxRequestsInflight === undefined
        ? {}
        : { 'max-requests-inflight': String(opts.maxRequestsInflight) }),
      ...(opts.maxMutatingRequestsInflight === undefined
        ? {}
        : { 'max-mutating-requests-inflight': String(opts.maxMutatingRequestsInflight) }),
    },
    opts.extra ?? [],
  );
}
