import { describe, expect, it } from 'vitest';
import { resourcePath, resources, withQuery } from '../../../src/kube/resources.js';
import { microTime } from '../../../src/kube/time.js';

describe('resourcePath', () => {
  it.each([
    [resources.configmaps, { namespace: 'ns' }, '/api/v1/namespaces/ns/configmaps'],
    [resources.configmaps, { namespace: 'ns', name: 'a' }, '/api/v1/namespaces/ns/configmaps/a'],
    [resources.configmaps, {}, '/api/v1/configmaps'],
    [resources.nodes, { name: 'n1', subresource: 'status' }, '/api/v1/nodes/n1/status'],
    [resources.nodes, { namespace: 'ignored', name: 'n1' }, '/api/v1/nodes/n1'],
    [
      resources.leases,
      { namespace: 'kube-node-lease', name: 'n1' },
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1',
    ],
    [resources.flowschemas, {}, '/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas'],
  ])('%o %o → %s', (r, where, path) => {
    expect(resourcePath(r, where)).toBe(path);
  });

  it('leaves out undefined query values and encodes the rest', () => {
    expect(withQuery('/p', { a: undefined, limit: 5, labelSelector: 'x=y,z' })).toBe(
      '/p?limit=5&labelSelector=x%3Dy%2Cz',
    );
    expect(withQuery('/p', {})).toBe('/p');
  });
});

describe('microTime', () => {
  it('has six fractional digits, as metav1.MicroTime requires', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
