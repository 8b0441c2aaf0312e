import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { issueClientCert } from '../../src/cluster/pki.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/index.js';
import {
  ConnectionCounter,
  FlowControlNames,
  Transport,
  ok,
  resources,
  type KubeObject,
  type ReceivedEvent,
  microTime,
} from '../../src/kube/index.js';
import { clientFor, identityOf, startTestCluster } from '../support/cluster.js';

let cluster: LocalCluster;
let admin: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  admin = cluster.admin();
});

afterAll(async () => {
  await admin?.transport.close();
  await cluster?.stop();
});

const lease = (node: string, renewTime: string): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: node, namespace: 'kube-node-lease' },
  spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime },
});

describe('node identities (Node authorizer + NodeRestriction)', () => {
  it('renews its own Lease and is forbidden on another node’s', async () => {
    const [me, other] = cluster.identities.nodes;
    if (me === undefined || other === undefined) throw new Error('need two node identities');
    const kubelet = clientFor(cluster, identityOf(me));
    try {
      const created = await kubelet.create(resources.leases, lease(me.nodeName, microTime()));
      expect(created.status).toBe(201);
      const current = ok(created, 'create lease');
      const renewed = await kubelet.update(resources.leases, {
        ...current,
        spec: { ...(current.spec as object), renewTime: microTime(new Date(Date.now() + 1000)) },
      });
      expect(renewed.status).toBe(200);

      const foreign = await kubelet.create(resources.leases, lease(other.nodeName, microTime()));
      expect(foreign.status).toBe(403);
      const foreignGet = await kubelet.get(resources.leases, {
        namespace: 'kube-node-lease',
        name: other.nodeName,
      });
      expect(foreignGet.status).toBe(403);
    } finally {
      await kubelet.transport.close();
    }
  });
});

describe('APF classification through the PF response headers', () => {
  it('lands a tenant in flow schema global-default', async () => {
    const names = await new FlowControlNames().refresh(admin);
    const tenant = clientFor(cluster, identityOf(cluster.identities.tenants[0]!));
    try {
      const res = await tenant.list(resources.configmaps, { namespace: 'apfbench' });
      expect(res.status).toBe(200);
      expect(names.flowSchema(res.flowSchemaUID)).toBe('global-default');
      expect(names.priorityLevel(res.priorityLevelUID)).toBe('global-default');
    } finally {
      await tenant.transport.close();
    }
  });

  it('classifies an impersonated tenant as the tenant, not as the admin', async () => {
    const names = await new FlowControlNames().refresh(admin);
    const tenant = cluster.identities.tenants[1]!;
    const viaAdmin = admin.as({
      name: tenant.user,
      token: cluster.identities.admin.token,
      impersonate: { user: tenant.user, groups: [...tenant.groups] },
    });
    const res = await viaAdmin.list(resources.configmaps, { namespace: 'apfbench' });
    expect(res.status).toBe(200);
    expect(names.flowSchema(res.flowSchemaUID)).toBe('global-default');
    const asAdmin = await admin.list(resources.configmaps, { namespace: 'apfbench' });
    expect(names.flowSchema(asAdmin.flowSchemaUID)).toBe('exempt');
  });

  it('authenticates a client certificate signed by the cluster CA', async () => {
    const ca = {
      cert: await readFile(join(cluster.dir, 'pki/ca.crt'), 'utf8'),
      key: await readFile(join(cluster.dir, 'pki/ca.key'), 'utf8'),
    };
    const cert = await issueClientCert({ ca }, 'tenant-0', ['apfbench:tenants']);
    const transport = new Transport({ ...cluster.target, clientCert: cert }, { connections: 1 });
    try {
      const res = await transport.send({
        method: 'GET',
        path: '/api/v1/namespaces/apfbench/configmaps',
        identity: { name: 'tenant-0' },
      });
      expect(res.status).toBe(200);
      const denied = await transport.send({
        method: 'GET',
        path: '/api/v1/namespaces/kube-system/secrets?limit=1',
        identity: { name: 'tenant-0' },
      });
      expect(denied.status).toBe(200); // the load ClusterRole allows secrets cluster-wide
      const nodes = await transport.send({
        method: 'GET',
        path: '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas',
        identity: { name: 'tenant-0' },
      });
      expect(nodes.status).toBe(403);
    } finally {
      await transport.close();
    }
  });
});

describe('reads and writes', () => {
  it('gets 409 for an update with a stale resourceVersion', async () => {
    const tenant = clientFor(cluster, identityOf(cluster.identities.tenants[2]!));
    try {
      const cm = ok(
        await tenant.create(resources.configmaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'stale-rv', namespace: 'apfbench' },
          data: { v: '0' },
        }),
        'create',
      );
      ok(await tenant.update(resources.configmaps, { ...cm, data: { v: '1' } }), 'first update');
      const stale = await tenant.update(resources.configmaps, { ...cm, data: { v: '2' } });
      expect(stale.status).toBe(409);
      expect((stale.body as { reason?: string }).reason).toBe('Conflict');
    } finally {
      await tenant.transport.close();
    }
  });

  it('lists every page with continue tokens', async () => {
    for (let i = 0; i < 7; i++) {
      ok(
        await admin.create(resources.configmaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `page-${i}`, namespace: 'apfbench', labels: { set: 'paging' } },
        }),
        'create',
      );
    }
    const all = await admin.listAll(resources.configmaps, {
      namespace: 'apfbench',
      labelSelector: 'set=paging',
      pageSize: 3,
    });
    expect(all.items.map((o) => o.metadata.name).sort()).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`),
    );
    expect(all.pages).toBe(3);
    expect(Number(all.resourceVersion)).toBeGreaterThan(0);
  });
});

describe.each(['http1', 'h2'] as const)('watch over %s', (protocol) => {
  it('receives the events of writes made after it started, with bookmarks allowed', async () => {
    // h2: the watch and the writes are streams of one connection, as client-go's are.
    const counter = new ConnectionCounter();
    const tenant = clientFor(cluster, identityOf(cluster.identities.tenants[3]!), {
      protocol,
      counter,
    });
    try {
      const start = await tenant.list(resources.configmaps, {
        namespace: 'apfbench',
        labelSelector: 'set=watched',
      });
      const rv = ok(start, 'list').metadata.resourceVersion;
      const watch = await tenant.watch(resources.configmaps, {
        namespace: 'apfbench',
        labelSelector: 'set=watched',
        resourceVersion: rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 30,
      });
      expect(watch.status).toBe(200);
      const received: ReceivedEvent[] = [];
      const reading = (async () => {
        for await (const ev of watch) {
          if (ev.type === 'BOOKMARK') continue;
          received.push(ev);
          if (received.length === 3) break;
        }
      })();
      const created = ok(
        await tenant.create(resources.configmaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'watched', namespace: 'apfbench', labels: { set: 'watched' } },
          data: { v: '0' },
        }),
        'create',
      );
      const updated = ok(
        await tenant.update(resources.configmaps, { ...created, data: { v: '1' } }),
        'update',
      );
      ok(
        await tenant.delete(resources.configmaps, { namespace: 'apfbench', name: 'watched' }),
        'delete',
      );
      await reading;
      expect(received.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(received[0]!.object.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      expect(received[1]!.object.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
      expect(received.every((e) => e.receivedAt > 0)).toBe(true);
      // http1: a socket for the requests and one held by the watch.
      expect(counter.total).toBe(protocol === 'h2' ? 1 : 2);
    } finally {
      await tenant.transport.close();
    }
  });
});
