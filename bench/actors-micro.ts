/**
 * Per-request CPU of the actors' own hot-path pieces, with no socket: the tenant's create and
 * update bodies, the client's write and list requests (over a transport that answers at once),
 * the tenant's tracked objects, and the scheduler's least-loaded placement. It prints operations
 * per second (the median of several rounds); it is not a test and exits 0 whatever they are.
 *
 * Usage: node --import tsx bench/actors-micro.ts [--round-ms 300] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { LeastLoaded } from '../src/actors/placement.js';
import { tenantBodies } from '../src/actors/tenant/create.js';
import { Tracked } from '../src/actors/tracked.js';
import { createRng } from '../src/timing/random.js';
import {
  KubeClient,
  resources,
  type KubeObject,
  type KubeResponse,
  type RequestSpec,
  type Transport,
} from '../src/kube/index.js';

const { values } = parseArgs({
  options: {
    'round-ms': { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
  },
});
const ROUND_MS = Number(values['round-ms']);
const ROUNDS = Number(values.rounds);

/** Keeps results alive so that the compiler cannot drop the work that made them. */
let sink = 0;

/** Median operations per second of `op` over the rounds. */
function opsPerSec(op: (i: number) => void): number {
  const rates: number[] = [];
  for (let round = -1; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      for (let k = 0; k < 1000; k++) op(n++);
      elapsed = performance.now() - start;
    }
    if (round >= 0) rates.push((n / elapsed) * 1000); // round -1 warms up
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function report(name: string, op: (i: number) => void): void {
  const rate = opsPerSec(op);
  console.log(`${name.padEnd(52)} ${Math.round(rate).toLocaleString('en-US').padStart(14)} ops/s`);
}

// ---- tenant bodies -------------------------------------------------------------------------

const meta = {
  namespace: 'apfbench',
  labels: { 'apfbench.dev/run': 'run-20260101-000000-abcdef', 'apfbench.dev/group': 'tenant' },
};

/** A ConfigMap as the API server returns it after a create. */
function served(name: string, data: Record<string, string>): KubeObject {
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: meta.namespace,
      uid: '0f6b7c1e-3a52-4c1e-9d1a-6f1c2b3a4d5e',
      resourceVersion: '123456',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { ...meta.labels },
      managedFields: [
        {
          manager: 'apfbench',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:data': { '.': {}, 'f:payload': {} },
            'f:metadata': {
              'f:labels': { '.': {}, 'f:apfbench.dev/group': {}, 'f:apfbench.dev/run': {} },
            },
          },
        },
      ],
    } as KubeObject['metadata'],
    data,
  };
}

for (const size of [0, 512, 4096]) {
  for (const resource of ['configmaps', 'secrets'] as const) {
    const bodies = tenantBodies(resource, size, meta);
    const current = served('tenant-0-1', { payload: 'x'.repeat(size) });
    report(`tenant create body ${resource} ${size} B`, (i) => {
      sink += bodies.create(`tenant-0-${i}`).length;
    });
    report(`tenant update body ${resource} ${size} B`, () => {
      sink += bodies.update(current).length;
    });
  }
}

// ---- client requests -----------------------------------------------------------------------

const answered: Promise<KubeResponse> = Promise.resolve({
  status: 200,
  body: undefined,
  bytes: 0,
  sentAt: 0,
  headersAt: 0,
  doneAt: 0,
  flowSchemaUID: undefined,
  priorityLevelUID: undefined,
  retryAfterSeconds: undefined,
  error: undefined,
});
const transport = {
  send(spec: RequestSpec) {
    sink += spec.path.length;
    return answered;
  },
} as unknown as Transport;
const client = new KubeClient(transport, { name: 'tenant-0', token: 't' });
const body = tenantBodies('configmaps', 512, meta).create('tenant-0-0');

report('client createJson', () => {
  void client.createJson(resources.configmaps, body, { namespace: meta.namespace });
});
report('client updateJson', () => {
  void client.updateJson(resources.configmaps, 'tenant-0-0', body, { namespace: meta.namespace });
});
report('client delete', () => {
  void client.delete(
    resources.configmaps,
    { namespace: meta.namespace, name: 'tenant-0-0' },
    { discardBody: true },
  );
});
const listOptions = {
  namespace: meta.namespace,
  limit: 100,
  labelSelector: 'tier=big',
  discardBody: true,
};
report('client list (limit, labelSelector)', () => {
  void client.list(resources.configmaps, listOptions);
});
const listed = client.listSpec(resources.configmaps, listOptions);
report('client send(listSpec), as the tenant lists', () => {
  void client.send(listed);
});

// ---- tracked objects -----------------------------------------------------------------------

/** A tenant's tracked objects at their cap of 1,000, turning over as a write-heavy mix does. */
for (const capacity of [1000]) {
  const tracked = new Tracked<number>(capacity);
  const rng = createRng(1);
  const int = (n: number) => rng.int(n);
  for (let i = 0; i < capacity; i++) tracked.set(`o-${i}`, i);
  let next = capacity;
  report(`tracked ${capacity}: pick + replace (update)`, (i) => {
    const v = tracked.pick(int)!;
    tracked.set(`o-${v}`, v);
    sink += i;
  });
  report(`tracked ${capacity}: pick + has (patch)`, () => {
    sink += tracked.has(`o-${tracked.pick(int)!}`) ? 1 : 0;
  });
  report(`tracked ${capacity}: pick + delete + add (delete, create)`, () => {
    tracked.delete(`o-${tracked.pick(int)!}`);
    tracked.set(`o-${next}`, next++);
  });
  report(`tracked ${capacity}: add past the cap (create)`, () => {
    tracked.set(`o-${next}`, next++);
  });
}

// ---- scheduler placement -------------------------------------------------------------------

for (const count of [100, 2000, 10000]) {
  const placement = new LeastLoaded(Array.from({ length: count }, (_, i) => `node-${i}`));
  report(`least-loaded ${count} nodes: take`, () => {
    sink += placement.take().length;
  });
  report(`least-loaded ${count} nodes: take + release (failed bind)`, () => {
    placement.release(placement.take());
  });
}

if (sink === 0) console.log('(nothing measured)');
