import { createServer } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { Transport } from '../../../src/kube/transport.js';

// Transport over Node's own HTTP server on loopback: what goes on the wire for each kind of
// request (the integration tests check the same against the real API server).
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

it('writes the identity headers and the content type each request needs, and parses JSON back', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(
        `${req.method} ${req.url} auth=${req.headers.authorization} type=${req.headers['content-type']} length=${req.headers['content-length']}`,
      );
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-kubernetes-pf-flowschema-uid', 'fs-uid');
      res.setHeader('x-kubernetes-pf-prioritylevel-uid', 'pl-uid');
      if (req.method === 'DELETE') res.setHeader('retry-after', '3');
      res.statusCode = req.method === 'DELETE' ? 429 : 200;
      res.end('{"kind":"ConfigMap"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  const transport = new Transport({ server: `http://127.0.0.1:${port}` }, { connections: 1 });
  closers.unshift(() => transport.close());
  const identity = { name: 'tenant-0', token: 't0' };

  const post = await transport.send({ method: 'POST', path: '/a', identity, body: '{"x":1}' });
  await transport.send({
    method: 'PATCH',
    path: '/a',
    identity,
    body: '{}',
    contentType: 'application/merge-patch+json',
  });
  await transport.send({ method: 'GET', path: '/a?limit=1', identity, discardBody: true });
  const del = await transport.send({ method: 'DELETE', path: '/a', identity });

  expect(seen).toEqual([
    'POST /a auth=Bearer t0 type=application/json length=7',
    'PATCH /a auth=Bearer t0 type=application/merge-patch+json length=2',
    'GET /a?limit=1 auth=Bearer t0 type=undefined length=undefined',
    'DELETE /a auth=Bearer t0 type=undefined length=undefined',
  ]);
  expect(post).toMatchObject({
    status: 200,
    body: { kind: 'ConfigMap' },
    bytes: 20,
    flowSchemaUID: 'fs-uid',
    priorityLevelUID: 'pl-uid',
    error: undefined,
  });
  expect(post.headersAt).toBeGreaterThanOrEqual(post.sentAt);
  expect(post.doneAt).toBeGreaterThanOrEqual(post.headersAt);
  expect(del).toMatchObject({ status: 429, retryAfterSeconds: 3 });
});

it('sends the token last set for a refreshable credential, and reports a 401 to it', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    seen.push(`${req.headers.authorization} ${req.headers['impersonate-user']}`);
    res.statusCode = req.headers.authorization === 'Bearer old' ? 401 : 200;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  const unauthorized: string[] = [];
  const transport = new Transport(
    { server: `http://127.0.0.1:${port}` },
    {
      connections: 1,
      onUnauthorized: (credential, token) => unauthorized.push(`${credential}:${token}`),
    },
  );
  closers.unshift(() => transport.close());
  const identity = {
    name: 'tenant-0',
    token: 'old',
    credential: 'exec',
    impersonate: { user: 'tenant-0' },
  };
  const statuses = [];
  statuses.push((await transport.send({ method: 'GET', path: '/', identity })).status);
  transport.setToken('exec', 'new');
  statuses.push((await transport.send({ method: 'GET', path: '/', identity })).status);
  // The undici side (watches, /metrics) takes the same token.
  expect(transport.headers(identity).authorization).toBe('Bearer new');
  // An identity with a token of its own, and no credential, keeps it.
  const own = { name: 'tenant-1', token: 'old' };
  statuses.push((await transport.send({ method: 'GET', path: '/', identity: own })).status);

  expect(seen).toEqual(['Bearer old tenant-0', 'Bearer new tenant-0', 'Bearer old undefined']);
  expect(statuses).toEqual([401, 200, 401]);
  expect(unauthorized).toEqual(['exec:old']);
});
