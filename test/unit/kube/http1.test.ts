import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Http1Pool,
  ResponseParser,
  type Http1Error,
  type Http1Handler,
} from '../../../src/kube/http1.js';

/** Everything a handler saw, in order. */
interface Seen {
  status?: number;
  headers?: readonly (string | undefined)[];
  body: string;
  chunks: number;
  end: boolean;
  error?: Http1Error;
}

function recorder(): { seen: Seen; handler: Http1Handler; done: Promise<Seen> } {
  const seen: Seen = { body: '', chunks: 0, end: false };
  let finish!: (s: Seen) => void;
  const done = new Promise<Seen>((resolve) => (finish = resolve));
  const handler: Http1Handler = {
    onHeaders(status, headers) {
      seen.status = status;
      seen.headers = headers;
    },
    onData(chunk) {
      seen.body += chunk.toString('latin1');
      seen.chunks++;
    },
    onEnd() {
      seen.end = true;
      finish(seen);
    },
    onError(err) {
      seen.error = err;
      finish(seen);
    },
  };
  return { seen, handler, done };
}

describe('ResponseParser', () => {
  const responses: [string, string, { status: number; body: string; keepAlive: boolean }][] = [
    [
      'content-length',
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"kind":1}\n',
      { status: 200, body: '{"kind":1}\n', keepAlive: true },
    ],
    [
      'chunked with an extension and trailers',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n',
      { status: 200, body: 'abcd0123456789', keepAlive: true },
    ],
    [
      '100 Continue before the real head',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
      { status: 201, body: 'ok', keepAlive: true },
    ],
    [
      '204 without a body',
      'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n',
      { status: 204, body: '', keepAlive: true },
    ],
    [
      'connection: close',
      'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nno\n',
      { status: 429, body: 'no\n', keepAlive: false },
    ],
    [
      'HTTP/1.0 without keep-alive',
      'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx',
      { status: 200, body: 'x', keepAlive: false },
    ],
  ];

  it.each(responses)('parses %s whole and split at every byte', (_name, raw, want) => {
    const bytes = Buffer.from(raw, 'latin1');
    for (let split = 0; split <= bytes.length; split++) {
      for (const pieces of [
        [bytes.subarray(0, split), bytes.subarray(split)],
        // and one byte at a time
        ...(split === 0 ? [[...bytes].map((b) => Buffer.from([b]))] : []),
      ]) {
        const parser = new ResponseParser();
        parser.reset(false);
        const { seen, handler } = recorder();
        let done = false;
        for (const piece of pieces) {
          if (piece.length === 0) continue;
          expect(done, `split ${split}: bytes after the end`).toBe(false);
          done = parser.push(piece, handler) === 1;
        }
        expect(done, `split ${split}`).toBe(true);
        expect(seen.status).toBe(want.status);
        expect(seen.body).toBe(want.body);
        expect(parser.keepAlive).toBe(want.keepAlive);
        expect(parser.trailing).toBe(false);
      }
    }
  });

  it('keeps the headers it captures, by lower-case name, joining repeated ones', () => {
    const parser = new ResponseParser(['x-kubernetes-pf-flowschema-uid', 'vary']);
    parser.reset(false);
    const { seen, handler } = recorder();
    parser.push(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nX-Kubernetes-PF-FlowSchema-UID: fs-1\r\nAudit-Id: x\r\nVary: a\r\nvary : b\r\nX-Other-Length-Thirty-Chars-Xy: no\r\nContent-Length: 0\r\n\r\n',
      ),
      handler,
    );
    // The captured ones in order, then the framing headers the parser reads itself.
    expect(seen.headers).toEqual(['fs-1', 'a, b', '0', undefined, undefined]);
  });

  it('reads a body without length until the socket closes, and never reuses that socket', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    const { seen, handler } = recorder();
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'), handler)).toBe(0);
    expect(parser.push(Buffer.from(' more'), handler)).toBe(0);
    expect(seen.body).toBe('some more');
    expect(parser.untilClose).toBe(true);
    expect(parser.keepAlive).toBe(false);
  });

  it('expects no body after HEAD', () => {
    const parser = new ResponseParser();
    parser.reset(true);
    const { handler } = recorder();
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'), handler)).toBe(
      1,
    );
  });

  it('marks bytes after the end of the response as out of step', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    const { handler } = recorder();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1'), handler);
    expect(parser.trailing).toBe(true);
  });

  it.each([
    ['a bad status line', 'HTTX/1.1 200 OK\r\n\r\n', /bad status line/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /bad header line/],
    ['a bad content-length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad content-length/],
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      /bad chunk size/,
    ],
    [
      'a chunk without its CRLF',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY',
      /does not end in CRLF/,
    ],
  ])('refuses %s with HPE_INVALID', (_name, raw, message) => {
    const parser = new ResponseParser();
    parser.reset(false);
    const { handler } = recorder();
    expect(() => parser.push(Buffer.from(raw), handler)).toThrow(message);
  });

  it('refuses a head longer than 64 KiB', () => {
    const parser = new ResponseParser();
    parser.reset(false);
    const { handler } = recorder();
    const line = `X-Big: ${'a'.repeat(1000)}\r\n`;
    expect(() => {
      parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'), handler);
      for (let i = 0; i < 70; i++) parser.push(Buffer.from(line), handler);
    }).toThrow(/too long/);
  });
});

// The pool against Node's own HTTP server on loopback: this tests the HTTP client, not the API
// server (the integration tests send every request of theirs through it to a real one).
describe('Http1Pool', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
    origin: string;
    server: Server;
    sockets: Set<Socket>;
  }> {
    const server = createServer(handle);
    const sockets = new Set<Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return { origin: `http://127.0.0.1:${address.port}`, server, sockets };
  }

  /** Settles once the server has received a request for `url`: it is then on the wire. */
  function arrivalOf(url: string): { arrived: Promise<void>; see: (req: IncomingMessage) => void } {
    let resolve!: () => void;
    const arrived = new Promise<void>((r) => (resolve = r));
    return {
      arrived,
      see: (req) => {
        if (req.url === url) resolve();
      },
    };
  }

  function pool(origin: string, opts: Partial<ConstructorParameters<typeof Http1Pool>[1]> = {}) {
    const p = new Http1Pool(origin, {
      connections: 2,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      keepAliveTimeoutMs: 10_000,
      ...opts,
    });
    cleanup.push(() => p.destroy());
    return p;
  }

  function send(p: Http1Pool, path: string, body?: string, signal?: AbortSignal): Promise<Seen> {
    const r = recorder();
    p.request(
      body === undefined ? 'GET' : 'POST',
      path,
      'accept: application/json\r\n',
      body,
      r.handler,
      signal,
    );
    return r.done;
  }

  it('sends method, path, headers and body, and reuses its sockets', async () => {
    const seenBy: string[] = [];
    const { origin, sockets } = await serve((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seenBy.push(`${req.method} ${req.url} ${req.headers.accept} ${body}`);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ echo: body }));
      });
    });
    const p = pool(origin);
    for (let i = 0; i < 5; i++) {
      const r = await send(p, `/x?i=${i}`, i % 2 === 0 ? `{"n":${i}}` : undefined);
      expect(r.status).toBe(200);
      expect(r.end).toBe(true);
    }
    expect(seenBy).toEqual([
      'POST /x?i=0 application/json {"n":0}',
      'GET /x?i=1 application/json ',
      'POST /x?i=2 application/json {"n":2}',
      'GET /x?i=3 application/json ',
      'POST /x?i=4 application/json {"n":4}',
    ]);
    expect(sockets.size).toBe(1);
  });

  it('queues beyond its connections and serves the queue in order', async () => {
    let open = 0;
    let most = 0;
    const arrived: string[] = [];
    const { origin, sockets } = await serve((req, res) => {
      arrived.push(req.url!);
      open++;
      most = Math.max(most, open);
      // Long enough that the first three hold their sockets while the rest wait in the queue.
      setTimeout(() => {
        open--;
        // Two writes: a chunked body, read in several pieces.
        res.write('y'.repeat(50_000));
        res.end('y'.repeat(50_000));
      }, 100);
    });
    const p = pool(origin, { connections: 3 });
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => send(p, `/${i}`)));
    expect(all.every((r) => r.status === 200 && r.body.length === 100_000)).toBe(true);
    expect(most).toBe(3);
    expect(sockets.size).toBeLessThanOrEqual(3);
    expect(p.stats).toEqual({ pending: 0, running: 0, sockets: 3 });
    expect(arrived.slice(0, 3).sort()).toEqual(['/0', '/1', '/2']);
    expect(arrived.slice(3).sort()).toEqual(['/3', '/4', '/5', '/6', '/7', '/8', '/9']);
  });

  it('serves its queue first in, first out', async () => {
    const arrived: string[] = [];
    const { origin } = await serve((req, res) => {
      arrived.push(req.url!);
      setTimeout(() => res.end('ok'), 20);
    });
    const p = pool(origin, { connections: 1 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(p, `/${i}`)));
    expect(arrived).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
  });

  it('opens a new socket after the server closes one', async () => {
    const { origin } = await serve((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    });
    const p = pool(origin, { connections: 1 });
    for (let i = 0; i < 3; i++) expect((await send(p, '/')).body).toBe('bye');
  });

  it('fails a request whose connection drops mid-response, and recovers', async () => {
    let n = 0;
    const { origin } = await serve((req, res) => {
      if (n++ === 0) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 10);
      } else res.end('fine');
    });
    const p = pool(origin, { connections: 1 });
    const broken = await send(p, '/');
    expect(broken.end).toBe(false);
    expect(broken.error?.code).toBe('UND_ERR_SOCKET');
    expect((await send(p, '/')).body).toBe('fine');
  });

  it('reports a refused connection with its code', async () => {
    const probe = createTcpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await send(pool(`http://127.0.0.1:${port}`), '/');
    expect(r.error?.code).toBe('ECONNREFUSED');
  });

  it('times out a request without headers', async () => {
    const { origin } = await serve(() => {
      // never answers
    });
    const r = await send(pool(origin, { headersTimeoutMs: 300 }), '/');
    expect(r.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('times out a body that goes silent, counting from its last bytes', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      // A first byte, a second well within the timeout (the deadline moves), then silence.
      res.write('a');
      setTimeout(() => res.write('b'), 200);
    });
    const started = Date.now();
    const r = await send(pool(origin, { bodyTimeoutMs: 300 }), '/');
    expect(r.error?.code).toBe('UND_ERR_BODY_TIMEOUT');
    // Not before the second byte's deadline: 200 ms + 300 ms of silence.
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
  });

  it('closes a socket left idle beyond the keep-alive timeout', async () => {
    const { origin, sockets } = await serve((_req, res) => res.end('ok'));
    const p = pool(origin, { keepAliveTimeoutMs: 200 });
    expect((await send(p, '/')).body).toBe('ok');
    expect(p.stats.sockets).toBe(1);
    await expect.poll(() => p.stats.sockets, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => sockets.size, { timeout: 10_000 }).toBe(0);
  });

  it('aborts a queued and a running request through their signals', async () => {
    const first = arrivalOf('/a');
    // Never answers.
    const { origin } = await serve(first.see);
    const p = pool(origin, { connections: 1 });
    const a = new AbortController();
    const b = new AbortController();
    const running = send(p, '/a', undefined, a.signal);
    const queued = send(p, '/b', undefined, b.signal);
    await first.arrived;
    expect(p.stats).toMatchObject({ pending: 1, running: 1 });
    b.abort();
    expect((await queued).error?.code).toBe('ABORT_ERR');
    a.abort();
    expect((await running).error?.code).toBe('ABORT_ERR');
    expect(p.stats).toMatchObject({ pending: 0, running: 0 });
  });

  it('close waits for requests in flight; destroy fails them', async () => {
    const hang = arrivalOf('/hang');
    const { origin } = await serve((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 100);
      hang.see(req);
    });
    const p = pool(origin);
    const slow = send(p, '/slow');
    await p.close();
    expect((await slow).body).toBe('late');
    expect((await send(p, '/')).error?.code).toBe('ERR_POOL_CLOSED');

    const q = pool(origin);
    const hung = send(q, '/hang');
    await hang.arrived;
    await q.destroy();
    expect((await hung).error?.code).toBe('ERR_POOL_DESTROYED');
    expect(q.stats).toEqual({ pending: 0, running: 0, sockets: 0 });
    expect((await send(q, '/')).error?.code).toBe('ERR_POOL_CLOSED');
  });
});
