/**
 * The kubelet actor: one simulated node. It registers its Node, renews its Lease in
 * kube-node-lease as the kubelet's lease controller does, reports Node status at the status
 * frequencies, and holds one watch on the pods bound to it, optionally reporting them Running.
 *
 * Its timing follows the kubelet (k8s.io/component-helpers/apimachinery/lease/controller.go,
 * pkg/kubelet/kubelet_node_status.go) with one deliberate difference: renew ticks are computed
 * from the node's start (open loop), not from the end of the previous sync, so a slow API server
 * cannot slow the heartbeats down and hide its own slowness.
 */
import { performance } from 'node:perf_hooks';
import { dispatch, type Schedule } from '../timing/schedule.js';
import type { Rng } from '../timing/random.js';
import { whenAborted } from '../errors.js';
import {
  microTime,
  resources,
  type KubeList,
  type KubeObject,
  type KubeResponse,
  type KubeStatus,
} from '../kube/index.js';
import {
  CREATED_AT_ANNOTATION,
  HeartbeatTracker,
  KubeletMetric,
  heartbeatThresholds,
} from '../metrics/heartbeats.js';
import { nodeNameOf, type KubeletActorGroup } from '../scenario/index.js';
import type { ActorFactory } from './actor.js';
import { sendRecorded } from './send.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** wait.JitterUntil(sync, renewInterval, 0.04, ...) in the lease controller and the status loop. */
export const JITTER_FACTOR = 0.04;
/** retryUpdateLease: immediate attempts before falling back to ensuring the lease. */
export const MAX_UPDATE_RETRIES = 5;
/** backoffEnsureLease: the wait starts at 100 ms and doubles before each sleep, up to 7 s. */
export const ENSURE_BACKOFF = { initialMs: 100, maxMs: 7000 } as const;
/** nodeStatusUpdateRetry: immediate attempts to report Node status. */
export const STATUS_UPDATE_RETRIES = 5;
/** The reflector's watch backoff: 800 ms doubling to 30 s, jittered. */
export const WATCH_BACKOFF = { initialMs: 800, maxMs: 30_000 } as const;
/** client-go retries 429s (up to 10 times, honouring Retry-After). */
const CLIENT_GO_RETRY = { maxRetries: 10, maxBackoff: 10_000 } as const;

/**
 * Ticks of wait.JitterUntil's period: the first at `startMs`, then each `periodMs × (1 + factor ×
 * u)` (u uniform in [0, 1)) after the previous tick, until `endMs` (exclusive).
 */
export function jitteredSchedule(
  startMs: number,
  periodMs: number,
  endMs: number,
  rng: Rng,
  factor = JITTER_FACTOR,
): Schedule {
  if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
  let t = startMs;
  return {
    next() {
      if (t >= endMs) return undefined;
      const due = t;
      t += periodMs * (1 + factor * rng.next());
      return due;
    },
  };
}

/** The next wait of an exponential backoff that doubles before each sleep (the kubelet's). */
export function nextBackoff(previousMs: number, maxMs: number): number {
  return Math.min(2 * previousMs, maxMs);
}

/**
 * Where instance `index` of `count` starts: spread evenly over one renew interval, with jitter
 * inside its slot, so that thousands of nodes do not register in one burst.
 */
export function startOffsetMs(index: number, count: number, renewMs: number, u: number): number {
  return ((index + u) / Math.max(1, count)) * renewMs;
}

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

interface PodLike extends KubeObject {
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

type Verb = 'get' | 'list' | 'create' | 'update' | 'patch';

/** See the module comment. */
export const createKubelet: ActorFactory<KubeletActorGroup> = (group, instance, ctx) => {
  const { client, clock, originMs } = ctx;
  const nodeName = nodeNameOf(client.identity.name);
  const rel = () => clock.now() - originMs;
  // This node's own stop, aborted by the run's stop or at the deadline: its waits and its watch
  // listen here, so that the run's shared signal carries one listener per node, not one per wait.
  const life = new AbortController();
  const signal = life.signal;
  /** A request intended at run-relative `t` is sent unless the run stopped or `t` is past the deadline. */
  const mayStart = (t: number) => !ctx.signal.aborted && t < ctx.deadlineMs;
  const over = () => signal.aborted || !mayStart(rel());
  const rng = ctx.rng.fork('kubelet');
  const labels = { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name };
  const leaseWhere = { namespace: NODE_LEASE_NAMESPACE, name: nodeName };
  const hostIP = nodeAddress(instance.index);
  const inFlight = new Set<Promise<unknown>>();
  let podSlots = group.maxInFlight;

  /** Sleeps until run-relative `t`; false when the run ends first. */
  const sleepUntil = async (t: number): Promise<boolean> => {
    if (!mayStart(t)) return false;
    await clock.sleepUntil(originMs + t, signal);
    return !signal.aborted;
  };

  /** One recorded request; `intendedMs` is when the kubelet meant to send it (run-relative). */
  const send = <T>(
    verb: Verb,
    resource: string,
    intendedMs: number,
    attempt: () => Promise<KubeResponse<T>>,
  ): Promise<KubeResponse<T>> => {
    ctx.collector.sent(Math.max(0, rel() - intendedMs) * 1000);
    return sendRecorded(ctx, { verb, resource, intendedMs, attempt, retry: CLIENT_GO_RETRY });
  };

  // ---- registration -------------------------------------------------------------------------

  let node: KubeObject | undefined;

  /** registerWithAPIServer: POST the Node, 409 → GET it; retried with backoff until it works. */
  const register = async (intendedMs: number): Promise<boolean> => {
    let t = intendedMs;
    for (let wait: number = ENSURE_BACKOFF.initialMs; mayStart(t);) {
      const obj = nodeObject({
        name: nodeName,
        index: instance.index,
        kubeletVersion: ctx.run.serverVersion ?? 'v0.0.0-apfbench',
        labels,
        now: new Date(),
      });
      const created = await send('create', 'nodes', t, () => client.create(resources.nodes, obj));
      if (created.status === 201) node = created.body as KubeObject;
      else if (created.status === 409) {
        const got = await send('get', 'nodes', rel(), () =>
          client.get(resources.nodes, { name: nodeName }),
        );
        if (got.status === 200) node = await adopt(got.body as KubeObject);
      }
      if (node !== undefined) {
        ctx.collector.count(KubeletMetric.registered);
        return true;
      }
      wait = nextBackoff(wait, ENSURE_BACKOFF.maxMs);
      t = rel() + wait;
      if (!(await sleepUntil(t))) break;
    }
    return false;
  };

  /** A Node left by an earlier run gets this run's label, so that cleanup finds it. */
  const adopt = async (existing: KubeObject): Promise<KubeObject> => {
    if (existing.metadata.labels?.[ctx.run.labelKey] === ctx.run.id) return existing;
    const patched = await send('patch', 'nodes', rel(), () =>
      client.patch(resources.nodes, nodeName, { metadata: { labels } }, 'merge'),
    );
    return patched.status === 200 ? (patched.body as KubeObject) : existing;
  };

  // ---- lease --------------------------------------------------------------------------------

  let lease: KubeObject | undefined;
  let tracker: HeartbeatTracker | undefined;

  const newLease = (): KubeObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      labels,
      ...(node?.metadata.uid === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid },
            ],
          }),
    } as KubeObject['metadata'],
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: Math.round(group.leaseDuration / 1000),
      renewTime: microTime(),
    },
  });

  const renewed = (res: KubeResponse) => {
    lease = res.body as KubeObject;
    tracker?.renewed(clock.now());
  };

  /** backoffEnsureLease: GET the lease (404 → create it) until that works. */
  const ensureLease = async (intendedMs: number): Promise<{ created: boolean } | undefined> => {
    let t = intendedMs;
    for (let wait: number = ENSURE_BACKOFF.initialMs; mayStart(t);) {
      const got = await send('get', 'leases', t, () => client.get(resources.leases, leaseWhere));
      if (got.status === 200) {
        lease = got.body as KubeObject;
        return { created: false };
      }
      if (got.status === 404) {
        const created = await send('create', 'leases', rel(), () =>
          client.create(resources.leases, newLease()),
        );
        if (created.status === 201) {
          renewed(created);
          return { created: true };
        }
        ctx.collector.count(KubeletMetric.failed);
      } else {
        ctx.collector.count(KubeletMetric.failed);
      }
      wait = nextBackoff(wait, ENSURE_BACKOFF.maxMs);
      t = rel() + wait;
      if (!(await sleepUntil(t))) break;
    }
    return undefined;
  };

  /** retryUpdateLease: PUT with the cached resourceVersion; a 409 re-GETs first. */
  const updateLease = async (intendedMs: number): Promise<boolean> => {
    for (let i = 0; i < MAX_UPDATE_RETRIES && lease !== undefined; i++) {
      const t = i === 0 ? intendedMs : rel();
      if (!mayStart(t)) break;
      const base = lease;
      const next = { ...base, spec: { ...(base.spec as object), renewTime: microTime() } };
      const res = await send('update', 'leases', t, () => client.update(resources.leases, next));
      if (res.status === 200) {
        renewed(res);
        return true;
      }
      ctx.collector.count(KubeletMetric.failed);
      if (res.status === 409 && (await ensureLease(rel())) === undefined) return false;
    }
    return false;
  };

  /** One tick of the lease controller (controller.sync). */
  const syncLease = async (intendedMs: number): Promise<void> => {
    if (lease !== undefined && (await updateLease(intendedMs))) return;
    const ensured = await ensureLease(lease === undefined ? intendedMs : rel());
    if (ensured !== undefined && !ensured.created) await updateLease(rel());
  };

  // ---- node status --------------------------------------------------------------------------

  let lastReportMs = 0;

  /**
   * One tick of syncNodeStatus. The simulated node's status never changes, so it reports only
   * once per statusReportInterval. It reads the Node from what it last wrote, as the kubelet
   * reads its node lister, so a tick without a report sends nothing.
   */
  const syncStatus = async (intendedMs: number): Promise<void> => {
    if (rel() - lastReportMs < group.statusReportInterval) return;
    for (let i = 0; i < STATUS_UPDATE_RETRIES; i++) {
      const t = i === 0 ? intendedMs : rel();
      if (!mayStart(t)) break;
      const res = await send('patch', 'nodes/status', t, () =>
        client.patch(resources.nodes, nodeName, heartbeatStatusPatch(new Date()), 'strategic', {
          subresource: 'status',
          discardBody: true,
        }),
      );
      if (res.status === 200) {
        lastReportMs = rel();
        ctx.collector.count(KubeletMetric.statusReports);
        return;
      }
      ctx.collector.count(KubeletMetric.statusFailed);
    }
  };

  // ---- pods ---------------------------------------------------------------------------------

  const starting = new Set<string>();

  const startPod = (pod: PodLike) => {
    const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (!shouldStartPod(pod, nodeName) || starting.has(uid) || !mayStart(rel())) return;
    if (podSlots === 0) {
      ctx.collector.dropped();
      return;
    }
    podSlots--;
    starting.add(uid);
    const createdAt = Number(pod.metadata.annotations?.[CREATED_AT_ANNOTATION]);
    const p = send('patch', 'pods/status', rel(), () =>
      client.patch(
        resources.pods,
        pod.metadata.name ?? '',
        runningPodPatch(new Date(), hostIP),
        'strategic',
        {
          namespace: pod.metadata.namespace,
          subresource: 'status',
          discardBody: true,
        },
      ),
    )
      .then((res) => {
        if (res.status !== 200) {
          starting.delete(uid);
          return;
        }
        ctx.collector.count(KubeletMetric.podsStarted);
        if (Number.isFinite(createdAt)) {
          const ackEpochMs = performance.timeOrigin + res.doneAt;
          ctx.collector.observe(
            KubeletMetric.podStartup,
            Math.max(0, ackEpochMs - createdAt) * 1000,
          );
        }
      })
      .finally(() => {
        podSlots++;
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  const onPod = (type: string, pod: PodLike) => {
    if (type === 'DELETED') {
      starting.delete(pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`);
      return;
    }
    if (group.podChurn) startPod(pod);
  };

  /** The pod informer: LIST, then WATCH from its resourceVersion; resume on drop, relist on 410. */
  const watchPods = async (): Promise<void> => {
    const fieldSelector = `spec.nodeName=${nodeName}`;
    let resourceVersion: string | undefined;
    let lists = 0;
    let wait = 0;
    const backoff = async () => {
      wait = nextBackoff(Math.max(wait, WATCH_BACKOFF.initialMs / 2), WATCH_BACKOFF.maxMs);
      return sleepUntil(rel() + wait * (1 + rng.next()));
    };
    while (!over()) {
      if (resourceVersion === undefined) {
        // The reflector lists from the watch cache (resourceVersion 0) at first, and
        // consistently ('') after its resourceVersion expired.
        const res = await send('list', 'pods', rel(), () =>
          client.list<PodLike>(resources.pods, {
            fieldSelector,
            resourceVersion: lists === 0 ? '0' : undefined,
            limit: 500,
          }),
        );
        if (lists++ > 0) ctx.collector.count(KubeletMetric.watchRelists);
        const list = res.body as KubeList<PodLike> | undefined;
        if (res.status !== 200 || list === undefined) {
          if (!(await backoff())) break;
          continue;
        }
        resourceVersion = list.metadata.resourceVersion ?? '';
        for (const pod of list.items) onPod('ADDED', pod);
      }
      let failed = false;
      try {
        ctx.collector.count(KubeletMetric.watchOpened);
        const stream = await client.watch<PodLike>(resources.pods, {
          fieldSelector,
          resourceVersion,
          allowWatchBookmarks: true,
          // client-go: minWatchTimeout × (1 + rand), 5 to 10 minutes.
          timeoutSeconds: Math.floor(300 * (1 + rng.next())),
          signal,
        });
        for await (const ev of stream) {
          if (ev.type === 'ERROR') {
            const status = ev.object as unknown as KubeStatus;
            if (status.code === 410) resourceVersion = undefined;
            else failed = true;
            break;
          }
          resourceVersion = ev.object.metadata.resourceVersion ?? resourceVersion;
          if (ev.type === 'BOOKMARK') ctx.collector.count(KubeletMetric.watchBookmarks);
          else {
            ctx.collector.count(KubeletMetric.watchEvents);
            onPod(ev.type, ev.object);
          }
        }
      } catch {
        failed = true;
      }
      if (over()) break;
      ctx.collector.count(KubeletMetric.watchRestarts);
      if (!failed) wait = 0;
      else {
        ctx.collector.count(KubeletMetric.watchErrors);
        if (!(await backoff())) break;
      }
    }
  };

  // ---- the node's life ----------------------------------------------------------------------

  /**
   * Runs `tick` at each scheduled time, skipping ticks while the previous one (`running` at
   * first) still runs, as the kubelet's loops never overlap.
   */
  const every = async (
    schedule: Schedule,
    tick: (intendedMs: number) => Promise<void>,
    running: Promise<void> | undefined,
    onSkip: () => void = () => {},
  ): Promise<void> => {
    let busy = running?.finally(() => (busy = undefined));
    await dispatch({
      schedule,
      clock,
      originMs,
      deadlineMs: ctx.deadlineMs,
      signal,
      onSend: (intendedMs) => {
        if (busy !== undefined) return onSkip();
        busy = tick(intendedMs).finally(() => (busy = undefined));
      },
    });
    await busy;
  };

  return {
    async run() {
      const startMs = startOffsetMs(
        instance.index,
        instance.count,
        group.renewInterval,
        rng.next(),
      );
      tracker = new HeartbeatTracker(
        ctx.collector,
        nodeName,
        heartbeatThresholds(group.renewInterval, group.leaseDuration),
        originMs + startMs,
      );
      const stop = () => life.abort();
      const unlisten = whenAborted(ctx.signal, stop);
      void clock.sleepUntil(originMs + ctx.deadlineMs, signal).then(stop);
      try {
        if ((await sleepUntil(startMs)) && (await register(startMs))) {
          // The lease controller and the status loop start with the kubelet: their first sync
          // runs once it registered, later ones on ticks counted from its start, so that a slow
          // registration does not shift them.
          lastReportMs = rel();
          const end = ctx.deadlineMs;
          const leaseTicks = jitteredSchedule(startMs, group.renewInterval, end, rng.fork('lease'));
          const statusTicks = jitteredSchedule(
            startMs,
            group.statusUpdateFrequency,
            end,
            rng.fork('status'),
          );
          leaseTicks.next();
          statusTicks.next();
          await Promise.all([
            every(leaseTicks, syncLease, syncLease(rel()), () =>
              ctx.collector.count(KubeletMetric.skipped),
            ),
            every(statusTicks, syncStatus, undefined),
            group.watchPods ? watchPods() : undefined,
          ]);
        }
        await Promise.allSettled([...inFlight]);
      } finally {
        unlisten();
        stop();
        tracker.close(Math.min(clock.now(), originMs + ctx.deadlineMs));
      }
    },
  };
};
