// Kubelets authenticated by the client certificates a local control plane issues
// (src/cluster/identities.ts issueCertificates), as real kubelets are: the API server's x509
// authenticator maps CN and O to the user and its groups, and the Node authorizer and
// NodeRestriction then let a node write its own Lease and Node status and nothing of another's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import {
  KubeClient,
  Transport,
  ok,
  resources,
  type Identity,
  type KubeObject,
  type Protocol,
} from '../../src/kube/index.js';
import { heartbeatStatusPatch, leaseObject, nodeObject } from '../../src/actors/kubelet/objects.js';
import { groupOf } from '../support/result.js';
import { scenarioFromYaml } from '../support/scenario.js';
import { useLocalTarget } from '../support/cluster.js';

// Nodes node-00000..00003, and cert-0..2 for the run below.
const ctx = useLocalTarget({
  extraTenants: ['system:node:cert-0', 'system:node:cert-1', 'system:node:cert-2'],
});

/** Node `i` of the cluster's identities as its certificate alone: no bearer token. */
function certified(i: number): Identity & { nodeName: string } {
  const node = ctx.cluster.identities.nodes[i]!;
  const key = ctx.cluster.identities.nodeKey;
  if (node.cert === undefined || key === undefined) throw new Error('no node certificate issued');
  return { name: node.user, clientCert: { cert: node.cert, key }, nodeName: node.nodeName };
}

const labels = { 'apfbench.dev/test': 'node-certificates' };

/** Node `nodeName`'s Lease in kube-node-lease, as its kubelet creates it. */
const leaseOf = (nodeName: string) =>
  leaseObject({ nodeName, labels, nodeUid: undefined, leaseDurationMs: 40_000 });

describe.each<Protocol>(['h2', 'http1'])('a kubelet with a certificate over %s', (protocol) => {
  let kubelet: KubeClient;
  let me: ReturnType<typeof certified>;
  let other: ReturnType<typeof certified>;
  beforeAll(async () => {
    const [a, b] = protocol === 'h2' ? [0, 1] : [2, 3];
    me = certified(a);
    other = certified(b);
    const transport = new Transport(ctx.cluster.target, {
      protocol,
      connections: 1,
      clientCert: me.clientCert,
    });
    kubelet = new KubeClient(transport, me);
    // The other node registered, with its Lease, as itself.
    const admin = ctx.cluster.admin();
    try {
      const node = nodeObject({
        name: other.nodeName,
        index: b,
        kubeletVersion: 'v1',
        labels,
        now: new Date(),
      });
      ok(await admin.create(resources.nodes, node), 'create the other Node');
      ok(await admin.create(resources.leases, leaseOf(other.nodeName)), 'create the other Lease');
    } finally {
      await admin.transport.close();
    }
  });
  afterAll(() => kubelet?.transport.close());

  it('is the node user in system:nodes to the API server', async () => {
    const review = await kubelet.request<{
      status: { userInfo: { username: string; groups: string[] } };
    }>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    expect(review.status).toBe(201);
    expect(review.body?.status.userInfo.username).toBe(`system:node:${me.nodeName}`);
    expect(review.body?.status.userInfo.groups).toEqual(
      expect.arrayContaining(['system:nodes', 'system:authenticated']),
    );
  });

  it('registers its Node, renews its own Lease and reports its own status', async () => {
    const node = nodeObject({
      name: me.nodeName,
      index: 0,
      kubeletVersion: 'v1',
      labels,
      now: new Date(),
    });
    expect((await kubelet.create(resources.nodes, node)).status).toBe(201);
    const created = await kubelet.create(resources.leases, leaseOf(me.nodeName));
    expect(created.status).toBe(201);
    const lease = ok(created, 'create lease');
    const renewed = await kubelet.update(resources.leases, {
      ...lease,
      spec: { ...(lease.spec as object), renewTime: new Date().toISOString().replace('Z', '000Z') },
    } as KubeObject);
    expect(renewed.status).toBe(200);
    const status = await kubelet.patch(
      resources.nodes,
      me.nodeName,
      heartbeatStatusPatch(new Date()),
      'strategic',
      {
        subresource: 'status',
      },
    );
    expect(status.status).toBe(200);
  });

  it('is forbidden on another node’s Lease and Node status', async () => {
    const foreignLease = await kubelet.get(resources.leases, {
      namespace: 'kube-node-lease',
      name: other.nodeName,
    });
    expect(foreignLease.status).toBe(403);
    const renewForeign = await kubelet.update(resources.leases, leaseOf(other.nodeName));
    expect(renewForeign.status).toBe(403);
    const foreignStatus = await kubelet.patch(
      resources.nodes,
      other.nodeName,
      heartbeatStatusPatch(new Date()),
      'strategic',
      { subresource: 'status' },
    );
    expect(foreignStatus.status).toBe(403);
  });
});

/** Three kubelets as `system:node:<prefix>-{i}` that ask for their certificates. */
const kubelets = (prefix: string) =>
  scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: node-certificates }
spec:
  duration: 6s
  actors:
    - name: kubelets
      type: kubelet
      count: 3
      identity: 'system:node:${prefix}-{i}'
      auth: certificate
      renewInterval: 1s
      transport: { protocol: h2, connection: per-actor }
`);

it('runs kubelets that ask for auth: certificate on their certificates alone', async () => {
  const result = await runScenario(kubelets('cert'), ctx.target.run);
  expect(result.status).toBe('completed');
  const group = groupOf(result, 'kubelets', 'kubelet');
  expect(group.nodes).toMatchObject({ registered: 3 });
  expect(group.heartbeats).toMatchObject({ failed: 0, missed: 0 });
  expect(group.heartbeats.renewals).toBeGreaterThanOrEqual(3 * 5);
  // No request was refused: the certificates, the only credential sent, authenticated them all.
  expect(Object.keys(group.requests.byCode).filter((c) => c === '401' || c === '403')).toEqual([]);
});

it('refuses kubelets that ask for a certificate the identities file does not have', async () => {
  await expect(runScenario(kubelets('none'), ctx.target.run)).rejects.toMatchObject({
    code: 'APFBENCH_NO_CERTIFICATE',
    message:
      'spec.actors[0] (kubelets): auth: certificate, but there is no client certificate for system:node:none-0',
  });
});
