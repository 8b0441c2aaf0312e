/**
 * HTTP/2 as client-go speaks it: one TLS connection (ALPN h2) carrying an actor's requests and
 * watches as streams, on Node's built-in `http2` (nghttp2) rather than a framer of our own.
 *
 * Like Go's `http2.Transport` (golang.org/x/net/http2/transport.go, whose client-go use leaves
 * `StrictMaxConcurrentStreams` false), a pool opens another connection when every one it has is
 * carrying as many streams as allowed, up to `maxConnections`; past that, streams wait in a FIFO
 * queue. "As many as allowed" is the smaller of our own cap and the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS (kube-apiserver: `--http2-max-streams-per-connection`, 100 by
 * default), so the server never refuses a stream for being one too many. A connection that gets
 * GOAWAY or closes takes no new streams; the next one that needs it opens a new connection.
 *
 * Handlers are the HTTP/1.1 pool's (`Http1Handler`), so responses are gathered by the same code
 * whichever protocol carried them. Timeouts are checked by a sweep a few times a second, not a
 * timer per request, as in `http1.ts`.
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { isIP } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { ConnectionCounter } from './connections.js';
import { abortError, hostOf, Http1Error, type Http1Handler } from './http1.js';

export interface H2PoolOptions {
  /** At most this many connections; streams beyond their capacity wait in a FIFO queue. */
  readonly maxConnections: number;
  /** Our cap on streams per connection; the server's SETTINGS_MAX_CONCURRENT_STREAMS also applies. */
  readonly maxStreamsPerConnection: number;
  /** Fail a unary request whose response headers have not arrived after this long. */
  readonly headersTimeoutMs: number;
  /** Fail a unary request whose body has been silent for this long (0 = never). */
  readonly bodyTimeoutMs: number;
  /** Lower-case names of the response headers handlers get, by index (as `Http1PoolOptions`). */
  readonly captureHeaders: readonly string[];
  readonly tls?: {
    readonly secureContext: SecureContext;
    readonly rejectUnauthorized: boolean;
    readonly servername?: string | undefined;
  };
  readonly counter?: ConnectionCounter | undefined;
}

/** A stream as a watch reads it: status, headers, and the body as a readable stream. */
export interface H2StreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: ClientHttp2Stream;
}

interface Connection {
  readonly session: ClientHttp2Session;
  /** Streams open on it, including watches. */
  streams: number;
  /** False once GOAWAY or close was seen: no new streams. */
  usable: boolean;
  /** True once the server's SETTINGS came: until then its stream limit is unknown. */
  ready: boolean;
}

/** A stream waiting for room on a connection. */
interface Waiting {
  readonly start: (c: Connection) => void;
  readonly fail: (err: Http1Error) => void;
}

/** A unary request on a stream, for the timeout sweep. */
interface Unary {
  readonly stream: ClientHttp2Stream;
  readonly handler: Http1Handler;
  /** `Date.now()` after which the sweep fails it (0 = never). */
  deadline: number;
  headersDone: boolean;
  settled: boolean;
}

const { NGHTTP2_CANCEL } = constants;
const SWEEP_MS = 250;
/** The SETTINGS default when the server names no limit (it always does; kube-apiserver: 100). */
const ASSUMED_SERVER_STREAMS = 100;
/**
 * Flow-control windows as client-go's transport (golang.org/x/net/http2/transport.go:
 * transportDefaultStreamFlow 4 MiB, transportDefaultConnFlow 1 GiB). With nghttp2's defaults
 * (64 KiB each) an 800 KB LIST response needs a dozen window updates, and the server's handler
 * waits on each while it holds its APF seat: seats stay taken longer than client-go would keep
 * them, and a comparison saw 429s that client-go's windows do not cause.
 */
const STREAM_WINDOW = 4 << 20;
const CONNECTION_WINDOW = 1 << 30;

export class H2Pool {
  private readonly origin: string;
  private readonly servername: string | undefined;
  private readonly opts: H2PoolOptions;
  private readonly connections: Connection[] = [];
  private readonly queue: Waiting[] = [];
  private readonly unary = new Set<Unary>();
  private tlsSession: Buffer | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private running = 0;

  constructor(origin: string, opts: H2PoolOptions) {
    const url = new URL(origin);
    const host = hostOf(url);
    this.origin = url.origin;
    // An IP address is not a valid SNI name; Node warns if one is given.
    this.servername = opts.tls?.servername ?? (isIP(host) === 0 ? host : undefined);
    this.opts = opts;
  }

  get stats(): { readonly pending: number; readonly running: number; readonly sockets: number } {
    return { pending: this.queue.length, running: this.running, sockets: this.connections.length };
  }

  /**
   * Sends one unary request. `headers` holds the request's own headers (no pseudo-headers) and
   * is not changed. Never throws: every failure reaches `handler.onError`.
   */
  request(
    method: string,
    path: string,
    headers: Readonly<OutgoingHttpHeaders>,
    body: string | undefined,
    handler: Http1Handler,
    signal?: AbortSignal,
  ): void {
    if (signal?.aborted === true) {
      handler.onError(abortError());
      return;
    }
    this.withRoom({
      fail: (err) => handler.onError(err),
      start: (c) => this.sendOn(c, method, path, headers, body, handler, signal),
    });
  }

  /** Opens a long-lived GET stream (a watch); resolves with its response headers. */
  stream(
    path: string,
    headers: Readonly<OutgoingHttpHeaders>,
    signal: AbortSignal,
    idleTimeoutMs: number,
  ): Promise<H2StreamResponse> {
    return new Promise((resolve, reject) => {
      this.withRoom({
        fail: reject,
        start: (c) => {
          const stream = this.open(c, 'GET', path, headers, true, signal);
          if (idleTimeoutMs > 0) {
            stream.setTimeout(idleTimeoutMs, () =>
              stream.destroy(
                new Http1Error(
                  'UND_ERR_BODY_TIMEOUT',
                  `the watch was silent for ${idleTimeoutMs} ms`,
                ),
              ),
            );
          }
          const early = (err: Error) => reject(err);
          stream.once('error', early);
          stream.once('response', (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
            stream.off('error', early);
            resolve({ statusCode: h[':status'] ?? 0, headers: h, body: stream });
          });
        },
      });
    });
  }

  /** Resolves once every stream has ended (watches included); then closes the connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.fail(poolClosed());
    await Promise.all(
      this.connections.map((c) => new Promise<void>((resolve) => c.session.close(resolve))),
    );
    this.stopSweeper();
  }

  /** Fails every queued and open stream and closes every connection at once. */
  destroy(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.fail(poolClosed());
    for (const u of [...this.unary]) this.settle(u, poolDestroyed());
    for (const c of [...this.connections]) c.session.destroy();
    this.stopSweeper();
    return Promise.resolve();
  }

  /** Runs `w` on a connection with room for one more stream: one open, a new one, or later. */
  private withRoom(w: Waiting): void {
    if (this.closed) {
      w.fail(poolClosed());
      return;
    }
    const c = this.roomy();
    if (c !== undefined) {
      c.streams++;
      w.start(c);
      return;
    }
    this.queue.push(w);
    this.connectIfAllowed();
  }

  private roomy(): Connection | undefined {
    for (const c of this.connections) {
      if (c.usable && c.ready && c.streams < this.limitOf(c)) return c;
    }
    return undefined;
  }

  private limitOf(c: Connection): number {
    const server = c.session.remoteSettings.maxConcurrentStreams ?? ASSUMED_SERVER_STREAMS;
    return Math.min(this.opts.maxStreamsPerConnection, server);
  }

  /**
   * A new connection, unless there are as many as allowed or one is still waiting for the
   * server's SETTINGS (its room is unknown until then; streams wait for it in the queue).
   */
  private connectIfAllowed(): void {
    let usable = 0;
    for (const c of this.connections) {
      if (!c.usable) continue;
      if (!c.ready) return;
      usable++;
    }
    if (usable < this.opts.maxConnections) this.connect();
  }

  private connect(): void {
    const { tls, counter } = this.opts;
    const session = connect(this.origin, {
      ...(tls === undefined
        ? {}
        : {
            secureContext: tls.secureContext,
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(this.servername === undefined ? {} : { servername: this.servername }),
            ...(this.tlsSession === undefined ? {} : { session: this.tlsSession }),
          }),
      peerMaxConcurrentStreams: ASSUMED_SERVER_STREAMS,
      settings: { initialWindowSize: STREAM_WINDOW },
    });
    // Go's transport widens the connection's window at once (transportDefaultConnFlow).
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW));
    const c: Connection = { session, streams: 0, usable: true, ready: false };
    this.connections.push(c);
    counter?.opened();
    session.once('connect', (_s: ClientHttp2Session, socket: TLSSocket) => {
      if (tls !== undefined) socket.on('session', (s: Buffer) => (this.tlsSession = s));
    });
    // The server's SETTINGS tell how many streams it takes: queued ones may start.
    session.on('remoteSettings', () => {
      c.ready = true;
      this.startQueued();
    });
    session.once('goaway', () => this.retire(c));
    // Streams get their own errors; the session's is the cause of its close.
    let failure: Error | undefined;
    session.on('error', (err: Error) => {
      failure = err;
      this.retire(c);
    });
    session.once('close', () => {
      c.usable = false;
      const i = this.connections.indexOf(c);
      if (i >= 0) this.connections.splice(i, 1);
      counter?.closed();
      // A connection that never came up fails the streams waiting for it, as a failed dial
      // fails Go's requests: retrying at once would only spin.
      if (!c.ready) {
        const err = new Http1Error(
          failure === undefined ? 'UND_ERR_SOCKET' : codeOf(failure),
          failure?.message ?? 'the connection closed before the server sent its SETTINGS',
        );
        for (const w of this.queue.splice(0)) w.fail(err);
      }
      this.startQueued();
    });
    this.ensureSweeper();
  }

  /** No new streams on `c`; queued ones may need a connection in its place. */
  private retire(c: Connection): void {
    if (!c.usable) return;
    c.usable = false;
    this.startQueued();
  }

  private startQueued(): void {
    while (this.queue.length > 0 && !this.closed) {
      const c = this.roomy();
      if (c === undefined) {
        this.connectIfAllowed();
        return;
      }
      c.streams++;
      this.queue.shift()!.start(c);
    }
  }

  /** Opens a stream on `c`, which has counted it already; its close gives the room back. */
  private open(
    c: Connection,
    method: string,
    path: string,
    headers: Readonly<OutgoingHttpHeaders>,
    endStream: boolean,
    signal: AbortSignal | undefined,
  ): ClientHttp2Stream {
    // Node copies the headers it is given, so the caller's object stays shared and unchanged.
    const stream = c.session.request(
      { ...headers, ':method': method, ':path': path },
      signal === undefined ? { endStream } : { endStream, signal },
    );
    stream.once('close', () => {
      c.streams--;
      this.startQueued();
    });
    return stream;
  }

  private sendOn(
    c: Connection,
    method: string,
    path: string,
    headers: Readonly<OutgoingHttpHeaders>,
    body: string | undefined,
    handler: Http1Handler,
    signal: AbortSignal | undefined,
  ): void {
    let stream: ClientHttp2Stream;
    try {
      stream = this.open(c, method, path, headers, body === undefined, signal);
    } catch (err) {
      // The session was closing under us (request() throws then): count the room back.
      c.streams--;
      handler.onError(new Http1Error(codeOf(err), (err as Error).message));
      return;
    }
    this.running++;
    const u: Unary = {
      stream,
      handler,
      deadline: Date.now() + this.opts.headersTimeoutMs,
      headersDone: false,
      settled: false,
    };
    this.unary.add(u);
    const capture = this.opts.captureHeaders;
    stream.on('response', (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
      u.headersDone = true;
      u.deadline = this.bodyDeadline();
      const values: (string | undefined)[] = new Array<string | undefined>(capture.length);
      for (let i = 0; i < capture.length; i++) {
        const v = h[capture[i]!];
        values[i] = Array.isArray(v) ? v[0] : v;
      }
      handler.onHeaders(h[':status'] ?? 0, values);
    });
    stream.on('data', (chunk: Buffer) => {
      if (u.settled) return;
      u.deadline = this.bodyDeadline();
      handler.onData(chunk);
    });
    stream.on('end', () => this.settle(u, undefined));
    stream.on('error', (err: Error) => this.settle(u, new Http1Error(codeOf(err), err.message)));
    // A stream reset without an error (RST_STREAM NO_ERROR before the end) still ends the request.
    stream.on('close', () => {
      if (!u.settled) {
        this.settle(u, new Http1Error('UND_ERR_SOCKET', `stream closed (code ${stream.rstCode})`));
      }
    });
    if (body !== undefined) stream.end(body);
  }

  private settle(u: Unary, err: Http1Error | undefined): void {
    if (u.settled) return;
    u.settled = true;
    this.running--;
    this.unary.delete(u);
    if (err === undefined) u.handler.onEnd();
    else {
      u.handler.onError(err);
      if (!u.stream.closed) u.stream.close(NGHTTP2_CANCEL);
    }
  }

  private bodyDeadline(): number {
    return this.opts.bodyTimeoutMs > 0 ? Date.now() + this.opts.bodyTimeoutMs : 0;
  }

  private ensureSweeper(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const u of this.unary) {
      if (u.deadline > 0 && now >= u.deadline) {
        this.settle(
          u,
          u.headersDone
            ? new Http1Error(
                'UND_ERR_BODY_TIMEOUT',
                `the response body was silent for ${this.opts.bodyTimeoutMs} ms`,
              )
            : new Http1Error(
                'UND_ERR_HEADERS_TIMEOUT',
                `no response headers after ${this.opts.headersTimeoutMs} ms`,
              ),
        );
      }
    }
    if (this.connections.length === 0) this.stopSweeper();
  }
}

/** The most telling code of an http2 error: the socket's (ECONNREFUSED) over Node's wrapper. */
function codeOf(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? 'UNKNOWN';
}

function poolClosed(): Http1Error {
  return new Http1Error('ERR_POOL_CLOSED', 'the connection pool is closed');
}

function poolDestroyed(): Http1Error {
  return new Http1Error('ERR_POOL_DESTROYED', 'the connection pool was destroyed');
}
