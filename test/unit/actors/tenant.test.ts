import { describe, expect, it } from 'vitest';
import { tenantBodies, tenantPatch } from '../../../src/actors/tenant/create.js';
import type { KubeObject } from '../../../src/kube/index.js';

const meta = { namespace: 'ns', labels: { 'apfbench.dev/run': 'r-1', 'apfbench.dev/group': 'g' } };

/** The object a tenant created per request before its bodies were templates. */
function created(resource: 'configmaps' | 'secrets', name: string, size: number): KubeObject {
  const payload = 'x'.repeat(size);
  return {
    apiVersion: 'v1',
    kind: resource === 'configmaps' ? 'ConfigMap' : 'Secret',
    metadata: {
      name,
      namespace: 'ns',
      labels: { 'apfbench.dev/run': 'r-1', 'apfbench.dev/group': 'g' },
    },
    ...(resource === 'configmaps'
      ? { data: { payload } }
      : { data: { payload: Buffer.from(payload).toString('base64') } }),
  };
}

describe('tenantBodies', () => {
  const cases = (['configmaps', 'secrets'] as const).flatMap((r) =>
    [0, 1, 5, 512].map((size) => [r, size] as const),
  );

  it.each(cases)(
    'creates %s of %i bytes with the bytes of the object it used to build',
    (r, size) => {
      const bodies = tenantBodies(r, size, meta);
      for (const name of ['g-0-0', 'g-12-3456']) {
        expect(bodies.create(name)).toBe(JSON.stringify(created(r, name, size)));
      }
    },
  );

  it.each(cases)('updates %s of %i bytes: the server object with the payload', (r, size) => {
    const current: KubeObject = {
      kind: r === 'configmaps' ? 'ConfigMap' : 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'g-0-0', namespace: 'ns', resourceVersion: '42', uid: 'u' },
      data: { payload: 'old' },
      ...(r === 'secrets' ? { type: 'Opaque' } : {}),
    };
    const copy = structuredClone(current);
    const body = tenantBodies(r, size, meta).update(current);
    expect(body).toBe(JSON.stringify({ ...current, data: created(r, 'g-0-0', size).data }));
    expect(current).toEqual(copy);
  });

  it('patches with the sequence number as a string annotation', () => {
    expect(tenantPatch('17')).toBe(
      JSON.stringify({ metadata: { annotations: { 'apfbench.dev/patched': '17' } } }),
    );
  });
});
