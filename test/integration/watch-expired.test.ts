import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { ok, resources, type KubeClient, type KubeStatus } from '../../src/kube/index.js';
import { startTestCluster } from '../support/cluster.js';

let cluster: LocalCluster;
let admin: KubeClient;

beforeAll(async () => {
  // Compact etcd every second so that an early resourceVersion is soon gone,
  // and serve watches from etcd: the watch cache would otherwise replay its
  // in-memory window, which is far larger than what this test writes.
  cluster = await startTestCluster({
    apiserverArgs: ['etcd-compaction-interval=1s', 'watch-cache=false'],
  });
  admin = cluster.admin();
});

afterAll(async () => {
  await admin?.transport.close();
  await cluster?.stop();
});

it('gets a 410 ERROR event when watching from a resourceVersion the server no longer keeps', async () => {
  const first = ok(
    await admin.create(resources.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'old', namespace: 'apfbench' },
      data: { v: '0' },
    }),
    'create',
  );
  const oldRV = first.metadata.resourceVersion!;
  let current = first;
  for (let i = 1; i <= 50; i++) {
    current = ok(
      await admin.update(resources.configmaps, { ...current, data: { v: String(i) } }),
      'update',
    );
  }
  // Give the compactor (and the watch cache's window) time to move past oldRV.
  let status: KubeStatus | undefined;
  for (let attempt = 0; attempt < 30 && status === undefined; attempt++) {
    await sleep(1000);
    current = ok(
      await admin.update(resources.configmaps, { ...current, data: { v: `late-${attempt}` } }),
      'update',
    );
    const watch = await admin.watch(resources.configmaps, {
      namespace: 'apfbench',
      resourceVersion: oldRV,
      timeoutSeconds: 5,
    });
    for await (const ev of watch) {
      if (ev.type === 'ERROR') status = ev.object as unknown as KubeStatus;
      break;
    }
    watch.close();
  }
  expect(status).toBeDefined();
  expect(status!.code).toBe(410);
  expect(status!.reason).toBe('Expired');
});
