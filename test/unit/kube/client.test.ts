import { describe, expect, it } from 'vitest';
import {
  KubeClient,
  resources,
  writeQuery,
  type KubeResponse,
  type RequestSpec,
  type Transport,
} from '../../../src/kube/index.js';

/** A client whose transport records each request and answers nothing. */
function recording() {
  const sent: RequestSpec[] = [];
  const transport = {
    send(spec: RequestSpec) {
      sent.push(spec);
      return Promise.resolve({ status: 200 } as KubeResponse);
    },
  } as unknown as Transport;
  return { client: new KubeClient(transport, { name: 'u', token: 't' }), sent };
}

describe('writeQuery', () => {
  it.each([
    [{}, undefined, ''],
    [{ dryRun: false }, undefined, ''],
    [{ dryRun: true }, undefined, '?dryRun=All'],
    [{ fieldManager: 'apf bench' }, undefined, '?fieldManager=apf+bench'],
    [{ dryRun: true, fieldManager: 'm' }, true, '?dryRun=All&fieldManager=m&force=true'],
    [{}, false, '?force=false'],
  ])('%o force %s → %j', (opts, force, query) => {
    expect(writeQuery(opts, force)).toBe(query);
  });
});

describe('KubeClient requests', () => {
  it('writes to the object path, with a query only for write options', async () => {
    const { client, sent } = recording();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } };
    await client.create(resources.configmaps, cm);
    await client.createJson(resources.configmaps, '{}', { namespace: 'ns', dryRun: true });
    await client.updateJson(resources.configmaps, 'a', '{}', { namespace: 'ns' });
    await client.patch(resources.configmaps, 'a', {}, 'apply', {
      namespace: 'ns',
      fieldManager: 'm',
      force: true,
    });
    await client.delete(resources.pods, { namespace: 'ns', name: 'p' });
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v1/namespaces/ns/configmaps',
      'POST /api/v1/namespaces/ns/configmaps?dryRun=All',
      'PUT /api/v1/namespaces/ns/configmaps/a',
      'PATCH /api/v1/namespaces/ns/configmaps/a?fieldManager=m&force=true',
      'DELETE /api/v1/namespaces/ns/pods/p',
    ]);
    expect(sent[0]!.body).toBe(JSON.stringify(cm));
  });

  it('sends a list spec as list would send it', async () => {
    const { client, sent } = recording();
    const opts = { namespace: 'ns', limit: 10, labelSelector: 'a=b', discardBody: true };
    await client.list(resources.configmaps, opts);
    await client.send(client.listSpec(resources.configmaps, opts));
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/ns/configmaps?limit=10&labelSelector=a%3Db',
      discardBody: true,
    });
  });
});
