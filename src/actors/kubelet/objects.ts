import { microTime, type KubeObject } from '../../kube/index.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** A loopback address, never contacted, unique per index up to 2^23 nodes (127.128.0.0 up). */
export function nodeAddress(index: number): string {
  return `127.${128 + ((index >> 16) & 127)}.${(index >> 8) & 255}.${index & 255}`;
}

export interface NodeSpecInput {
  readonly name: string;
  readonly index: number;
  readonly kubeletVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly now: Date;
}

/** The conditions a healthy kubelet posts, all with `now` as heartbeat and transition time. */
export function nodeConditions(now: Date): Record<string, string>[] {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
    reason,
    message,
  });
  return [
    c(
      'MemoryPressure',
      'False',
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
    ),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** A Node as a kubelet registers it: capacity, allocatable, conditions, addresses, nodeInfo. */
export function nodeObject(n: NodeSpecInput): KubeObject {
  const id = (salt: number) =>
    `${(n.index + salt).toString(16).padStart(8, '0')}-apfb-4e0d-8b1e-${n.name
      .replace(/[^a-z0-9]/g, '')
      .slice(-12)
      .padStart(12, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...n.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {},
    status: {
      capacity: {
        cpu: '8',
        'ephemeral-storage': '102626232Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '32863944Ki',
        pods: '110',
      },
      allocatable: {
        cpu: '7910m',
        'ephemeral-storage': '94580335255',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '32249544Ki',
        pods: '110',
      },
      conditions: nodeConditions(n.now),
      addresses: [
        { type: 'InternalIP', address: nodeAddress(n.index) },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: id(0).replace(/-/g, ''),
        systemUUID: id(1),
        bootID: id(2),
        kernelVersion: '6.8.0-apfbench',
        osImage: 'apfbench simulated node',
        containerRuntimeVersion: 'containerd://2.1.0',
        kubeletVersion: n.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/**
 * The strategic-merge patch a kubelet sends when it reports an unchanged status: every
 * condition's lastHeartbeatTime, merged by type.
 */
export function heartbeatStatusPatch(now: Date): Record<string, unknown> {
  const conditions = nodeConditions(now);
  return {
    status: {
      '$setElementOrder/conditions': conditions.map((c) => ({ type: c.type })),
      conditions: conditions.map((c) => ({ type: c.type, lastHeartbeatTime: c.lastHeartbeatTime })),
    },
  };
}

/** The status patch that reports a pod Running and Ready on `hostIP`. */
export function runningPodPatch(now: Date, hostIP: string): Record<string, unknown> {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: at });
  return {
    status: {
      phase: 'Running',
      hostIP,
      hostIPs: [{ ip: hostIP }],
      startTime: at,
      conditions: ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'].map(
        condition,
      ),
    },
  };
}

export interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** Pods a kubelet with pod churn should report Running: bound to it, Pending, not deleting. */
export function shouldStartPod(pod: PodLike, nodeName: string): boolean {
  const phase = pod.status?.phase;
  return (
    pod.spec?.nodeName === nodeName &&
    (phase === undefined || phase === 'Pending') &&
    (pod.metadata as { deletionTimestamp?: string }).deletionTimestamp === undefined
  );
}

export interface LeaseSpecInput {
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The registered Node's uid, which owns the lease when known. */
  readonly nodeUid: string | undefined;
  readonly leaseDurationMs: number;
}

/** The node's Lease in kube-node-lease as the lease controller creates it, renewed now. */
export function leaseObject(l: LeaseSpecInput): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: l.nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      labels: l.labels,
      ...(l.nodeUid === undefined
        ? {}
        : {
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: l.nodeName, uid: l.nodeUid }],
          }),
    } as KubeObject['metadata'],
    spec: {
      holderIdentity: l.nodeName,
      leaseDurationSeconds: Math.round(l.leaseDurationMs / 1000),
      renewTime: microTime(),
    },
  };
}
