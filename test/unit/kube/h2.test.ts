import { once } from 'node:events';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { afterEach, expect, it } from 'vitest';
import { ConnectionCounter } from '../../../src/kube/connections.js';
import { Transport } from '../../../src/kube/transport.js';

// The h2 transport over Node's own HTTP/2 server (cleartext) on loopback: stream limits, GOAWAY
// and the headers on the wire. The integration tests check the real API server over TLS.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(
  onStream: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void,
  maxConcurrentStreams = 100,
): Promise<{ server: Http2Server; origin: string }> {
  const server = createServer({ settings: { maxConcurrentStreams } });
  const sessions = new Set<{ destroy(): void }>();
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => onStream(stream, headers));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}` };
}

function transportTo(origin: string, opts: ConstructorParameters<typeof Transport>[1]): Transport {
  const transport = new Transport({ server: origin }, { protocol: 'h2', ...opts });
  closers.unshift(() => transport.destroy());
  return transport;
}

const identity = { name: 'node-0', token: 'n0' };

it('sends identity headers and bodies as streams of one connection and reads the response', async () => {
  const seen: string[] = [];
  const { origin } = await serve((stream, h) => {
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => {
      seen.push(
        `${String(h[':method'])} ${String(h[':path'])} ${String(h.authorization)} ${String(h['content-type'])} ${body}`,
      );
      stream.respond({
        ':status': 201,
        'content-type': 'application/json',
        'x-kubernetes-pf-flowschema-uid': 'fs-uid',
      });
      stream.end('{"kind":"Lease"}');
    });
  });
  const counter = new ConnectionCounter();
  const transport = transportTo(origin, { counter });
  const [post, get] = await Promise.all([
    transport.send({ method: 'POST', path: '/a', identity, body: '{"x":1}' }),
    transport.send({ method: 'GET', path: '/b?limit=1', identity }),
  ]);
  expect(post).toMatchObject({ status: 201, body: { kind: 'Lease' }, flowSchemaUID: 'fs-uid' });
  expect(get.status).toBe(201);
  expect(seen.sort()).toEqual([
    'GET /b?limit=1 Bearer n0 undefined ',
    'POST /a Bearer n0 application/json {"x":1}',
  ]);
  expect(counter).toMatchObject({ total: 1, peak: 1 });
});

it("keeps within the server's SETTINGS_MAX_CONCURRENT_STREAMS, opening another connection when allowed", async () => {
  let open = 0;
  let most = 0;
  const held: ServerHttp2Stream[] = [];
  let started = 0;
  const { origin } = await serve((stream) => {
    most = Math.max(most, ++open);
    stream.on('close', () => open--);
    stream.respond({ ':status': 200 });
    // The first six wait until all six are open: only then is the limit seen at its fullest.
    if (++started > 6) stream.end();
    else if (held.push(stream) === 6) for (const s of held.splice(0)) s.end();
  }, 3);
  const counter = new ConnectionCounter();
  const transport = transportTo(origin, { connections: 2, counter });
  const responses = await Promise.all(
    Array.from({ length: 8 }, () => transport.send({ method: 'GET', path: '/', identity })),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
  // Two connections of three streams each: six at once, never more.
  expect(most).toBe(6);
  expect(counter.total).toBe(2);
});

it('queues past the connection cap instead of refusing', async () => {
  let open = 0;
  let most = 0;
  const { origin } = await serve((stream) => {
    most = Math.max(most, ++open);
    stream.on('close', () => open--);
    stream.respond({ ':status': 200 });
    setTimeout(() => stream.end(), 20);
  }, 2);
  const transport = transportTo(origin, { connections: 1 });
  const responses = await Promise.all(
    Array.from({ length: 5 }, () => transport.send({ method: 'GET', path: '/', identity })),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(5).fill(200));
  expect(most).toBe(2);
});

it('opens a new connection after GOAWAY', async () => {
  let streams = 0;
  const { origin } = await serve((stream) => {
    streams++;
    stream.respond({ ':status': 200 });
    stream.end();
    // The first connection is told to go away after its first response.
    if (streams === 1) stream.session?.goaway();
  });
  const counter = new ConnectionCounter();
  const transport = transportTo(origin, { counter });
  expect((await transport.send({ method: 'GET', path: '/', identity })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 50));
  expect((await transport.send({ method: 'GET', path: '/', identity })).status).toBe(200);
  expect(counter.total).toBe(2);
});

it('fails a request whose headers do not come in time, as status 0', async () => {
  const { origin } = await serve(() => {});
  const transport = transportTo(origin, { headersTimeoutMs: 100 });
  const res = await transport.send({ method: 'GET', path: '/', identity });
  expect(res.status).toBe(0);
  expect(res.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
});

it('reports a refused connection as status 0 with the socket error code', async () => {
  const { origin } = await serve(() => {});
  await closers.pop()!();
  const transport = transportTo(origin, {});
  const res = await transport.send({ method: 'GET', path: '/', identity });
  expect(res.status).toBe(0);
  expect(res.error?.code).toBe('ECONNREFUSED');
});

it("opens its streams with client-go's flow-control windows: 4 MiB a stream, 1 GiB the connection", async () => {
  let windows: { stream?: number | undefined; connection?: number | undefined } = {};
  const { origin } = await serve((stream) => {
    // What this client lets the server send before it must wait for a WINDOW_UPDATE.
    windows = {
      stream: stream.session?.remoteSettings.initialWindowSize,
      connection: stream.session?.state.remoteWindowSize,
    };
    stream.respond({ ':status': 200 });
    stream.end();
  });
  const transport = transportTo(origin, {});
  expect((await transport.send({ method: 'GET', path: '/', identity })).status).toBe(200);
  expect(windows).toEqual({ stream: 4 << 20, connection: 1 << 30 });
});
