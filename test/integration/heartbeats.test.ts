import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { runScenario } from '../../src/engine/coordinator.js';
import { localRunTarget, type OpenTarget } from '../../src/engine/target.js';
import { resources } from '../../src/kube/index.js';
import {
  ServerMetric,
  clientCountsAsServer,
  counterDelta,
  requestCountsByVerbResourceCode,
} from '../../src/metrics/server-metrics.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import { startTestCluster } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';
import { groupOf } from '../support/result.js';
import { serverConnections } from '../support/connections.js';
import { setTimeout as delay } from 'node:timers/promises';

const KUBELETS = 200;
const DURATION_S = 20;
const RENEW_S = 2;
/**
 * Late gaps allowed, as a share of the gaps between renewals. A gap is late past 1.5 × the renew
 * interval (src/metrics/heartbeats.ts): a renewal one second behind its tick. One stall of the
 * generator or the server of S seconds on this shared 2-core machine makes about
 * 100/s × (S − 1 s) of them at once (a renewal is due every 10 ms), so zero measured the machine
 * more than the kubelets; a broken schedule would make most gaps late, far above this.
 */
const LATE_SHARE = 0.05;

let cluster: LocalCluster;
let target: OpenTarget;

beforeAll(async () => {
  // Every kubelet authenticates as its own node (system:node:node-<i>, group system:nodes), so
  // the Node authorizer and NodeRestriction check each of its requests.
  cluster = await startTestCluster({
    extraTenants: Array.from({ length: KUBELETS }, (_, i) => `system:node:node-${i}`),
  });
  target = await localRunTarget(cluster);
});

afterAll(async () => {
  await target?.close();
  await cluster?.stop();
});

/**
 * Both paths: HTTP/2 with a connection per kubelet (the default, as client-go), and HTTP/1.1
 * over the worker's shared sockets.
 */
const TRANSPORTS = [
  { protocol: 'h2', connection: 'per-actor' },
  { protocol: 'http1', connection: 'shared' },
] as const;

it.each(TRANSPORTS)(
  `${KUBELETS} kubelets over $protocol $connection renew every ${RENEW_S} s for ${DURATION_S} s: on time, counted by the server, cleaned up`,
  async (transport) => {
    const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: heartbeats }
spec:
  duration: ${DURATION_S}s
  seed: 3
  actors:
    - name: kubelets
      type: kubelet
      count: ${KUBELETS}
      renewInterval: ${RENEW_S}s
      leaseDuration: 40s
      transport: { protocol: ${transport.protocol}, connection: ${transport.connection} }
`);
    const before = await scrapeMetrics(target.run.admin);
    // The server's accepted connections, counted from its side halfway through the run.
    let serverSide: Promise<number> | undefined;
    const result = await runScenario(scenario, target.run, {
      onStart: () => {
        serverSide = delay((DURATION_S / 2) * 1000).then(() => serverConnections(cluster.target));
      },
    });
    const after = await scrapeMetrics(target.run.admin);

    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('completed');
    const kubelets = groupOf(result, 'kubelets', 'kubelet');
    const { heartbeats } = kubelets;
    const expected = (KUBELETS * DURATION_S) / RENEW_S;
    expect(heartbeats.renewals).toBeGreaterThanOrEqual(expected * 0.97);
    expect(heartbeats.renewals).toBeLessThanOrEqual(expected * 1.03);
    // On time: no node went a lease duration without a renewal (the node controller would have
    // marked it NotReady), hardly any renewal came late, and the typical gap is the renew interval.
    expect(heartbeats).toMatchObject({ failed: 0, missed: 0, notReadyNodes: [] });
    const gaps = heartbeats.renewals - KUBELETS;
    expect(heartbeats.late).toBeLessThanOrEqual(LATE_SHARE * gaps);
    expect(heartbeats.gapMs.p50).toBeGreaterThanOrEqual(0.95 * RENEW_S * 1000);
    // Every gap between two renewals is in the histogram; the gaps before a node's first renewal
    // and after its last are there only when late or missed.
    expect(heartbeats.gapMs.count).toBeGreaterThanOrEqual(gaps);
    expect(heartbeats.gapMs.count).toBeLessThanOrEqual(gaps + heartbeats.late + heartbeats.missed);
    expect(kubelets.nodes).toMatchObject({ registered: KUBELETS });
    expect(kubelets.watch).toMatchObject({ opened: KUBELETS, restarts: 0, errors: 0 });
    // Whether the generator kept up during the start-up burst depends on what else the two cores
    // run; scenarios judge it after a warm-up (heartbeats-at-scale). Here nothing may be dropped.
    console.log(`generator: ${JSON.stringify(result.generator)}`);
    expect(kubelets.requests.dropped).toBe(0);

    // h2 per-actor: a connection per kubelet, carrying its requests and its watch, and so about
    // as many on the server's side (besides them: the admin client, the metrics scrapes and the
    // server's own loopback client). HTTP/1.1: a socket per watch, and the shared ones on top.
    const connections = await serverSide;
    console.log(`server-side connections (${transport.protocol}): ${connections}`);
    if (transport.protocol === 'h2') {
      expect(result.clientConnections).toEqual([
        {
          groups: ['kubelets'],
          protocol: 'h2',
          connection: 'per-actor',
          maxStreamsPerConnection: 100,
          opened: KUBELETS,
          peakOpen: KUBELETS,
        },
      ]);
      expect(connections).toBeGreaterThanOrEqual(KUBELETS);
      expect(connections).toBeLessThanOrEqual(KUBELETS + 20);
    } else {
      expect(result.clientConnections?.[0]).toMatchObject({
        protocol: 'http1',
        connection: 'shared',
      });
      expect(connections).toBeGreaterThan(KUBELETS);
    }

    // Every lease request the kubelets made is one the server counted. The API server keeps its
    // own identity Lease in kube-system through its loopback client, which apiserver_request_total
    // counts with ours: a PUT every 10 s, and a LIST and DELETE when it collects expired ones.
    // Nodes may not LIST leases at all (Node authorizer), so those are never the kubelets'.
    const client = clientCountsAsServer(kubelets.requests.byKey, 'leases');
    expect(client).toEqual({
      'GET leases 404': KUBELETS,
      'POST leases 201': KUBELETS,
      'PUT leases 200': heartbeats.renewals - KUBELETS,
    });
    const server = requestCountsByVerbResourceCode(before, after, { resource: 'leases' });
    const apiserverOwn = { ...server };
    for (const [k, n] of Object.entries(client)) apiserverOwn[k] = (apiserverOwn[k] ?? 0) - n;
    const own = Object.fromEntries(Object.entries(apiserverOwn).filter(([, n]) => n !== 0));
    expect(Object.keys(own).every((k) => /^(PUT|LIST|DELETE) leases 200$/.test(k))).toBe(true);
    expect(own['PUT leases 200'] ?? 0).toBeLessThanOrEqual(DURATION_S / 10 + 2);
    expect(Object.values(own).every((n) => n > 0)).toBe(true);

    // Only the kubelets are in group system:nodes, so APF dispatched exactly their requests (every
    // attempt) and their watches, in the node flow schemas.
    const dispatched = counterDelta(before, after, ServerMetric.dispatched, ['flow_schema']);
    const nodeFlows = (dispatched['system-node-high'] ?? 0) + (dispatched['system-nodes'] ?? 0);
    const attempts = Object.values(kubelets.requests.byCode).reduce((a, b) => a + b, 0);
    expect(nodeFlows).toBe(attempts + kubelets.watch!.opened);

    // Nodes are cluster-scoped and leases live in kube-node-lease: both are deleted after the run.
    const selector = `apfbench.dev/run=${result.runId}`;
    const nodes = await target.run.admin.listAll(resources.nodes, { labelSelector: selector });
    const leases = await target.run.admin.listAll(resources.leases, {
      namespace: 'kube-node-lease',
      labelSelector: selector,
    });
    expect(nodes.items).toHaveLength(0);
    expect(leases.items).toHaveLength(0);
    expect(result.cleanup.errors).toEqual([]);
    expect(result.cleanup.deleted).toBeGreaterThanOrEqual(2 * KUBELETS);
  },
);
