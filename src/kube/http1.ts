/**
 * A lean HTTP/1.1 client for the load hot path: a fixed-size pool of keep-alive connections to
 * one origin, one request in flight per connection (no pipelining), each request written with one
 * `write` and its response parsed by a small incremental parser that only understands what a
 * response to a unary request needs (status line, headers, Content-Length, chunked, or
 * read-until-close bodies).
 *
 * Why not undici here: undici stays for watches and for the rare administrative requests, but on
 * the unary hot path its per-request machinery (header validation, its request object, the wasm
 * parser's JS glue) costs more CPU than the whole budget of a generator that must send thousands
 * of requests a second from one core: measured by `bench/generator.ts`, a bare undici
 * `Pool.dispatch` loop managed 0.76x autocannon's requests per CPU-second, before apfbench
 * recorded anything. The contract is the same as undici's dispatch: a handler object gets the
 * response's parts in order, and exactly one of `onEnd` or `onError`.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type SecureContext } from 'node:tls';
import type { ConnectionCounter } from './connections.js';

export interface Http1PoolOptions {
  /** At most this many sockets; requests beyond them wait in a FIFO queue. */
  readonly connections: number;
  /** Fail a request whose status line and headers have not arrived after this long. */
  readonly headersTimeoutMs: number;
  /** Fail a request whose body has been silent for this long (0 = never). */
  readonly bodyTimeoutMs: number;
  /** Close a socket that has been idle for this long. */
  readonly keepAliveTimeoutMs: number;
  /** Lower-case names of the response headers handlers get; the others are not kept. */
  readonly captureHeaders?: readonly string[];
  readonly tls?: {
    readonly secureContext: SecureContext;
    readonly rejectUnauthorized: boolean;
    readonly servername?: string | undefined;
  };
  /** Counts the sockets this pool opens and closes. */
  readonly counter?: ConnectionCounter | undefined;
}

/**
 * What a request gets back, in this order: `onHeaders` once (with the values of the pool's
 * `captureHeaders`, by index: `values[i]` is the header named `captureHeaders[i]`, or undefined),
 * `onData` zero or more times, then `onEnd`; or `onError` at any point instead of the rest.
 */
export interface Http1Handler {
  onHeaders(status: number, values: readonly (string | undefined)[]): void;
  /** A piece of the body, valid only during the call: copy what is kept. */
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Http1Error): void;
}

export class Http1Error extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Http1Error';
  }
}

interface Pending {
  readonly head: string;
  readonly noBody: boolean;
  readonly handler: Http1Handler;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  connection: Connection | undefined;
  /** `Date.now()` after which the sweep fails the request; 0 for none. */
  deadline: number;
  settled: boolean;
}

/** Longest status line plus headers accepted, as Go's http.Server and undici default to. */
const MAX_HEAD_BYTES = 64 * 1024;
const SWEEP_MS = 250;
const READ_BUFFER_BYTES = 64 * 1024;

export class Http1Pool {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly opts: Http1PoolOptions;
  private readonly all = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Pending[] = [];
  private session: Buffer | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private closing: (() => void) | undefined;
  private closed = false;
  private destroyed = false;
  private running = 0;

  constructor(origin: string, opts: Http1PoolOptions) {
    const url = new URL(origin);
    const secure = url.protocol === 'https:';
    if (secure !== (opts.tls !== undefined)) {
      throw new Error(`${origin}: TLS options are needed exactly for https origins`);
    }
    this.host = hostOf(url);
    this.port = Number(url.port === '' ? (secure ? 443 : 80) : url.port);
    this.hostHeader = url.host;
    this.opts = opts;
  }

  get stats(): { readonly pending: number; readonly running: number; readonly sockets: number } {
    return { pending: this.queue.length, running: this.running, sockets: this.all.size };
  }

  /**
   * Sends one request. `path` carries the query string; `headers` is a block of `name: value\r\n`
   * lines (without Host and Content-Length, which this adds). Never throws: every failure reaches
   * `handler.onError`.
   */
  request(
    method: string,
    path: string,
    headers: string,
    body: string | undefined,
    handler: Http1Handler,
    signal?: AbortSignal,
  ): void {
    if (this.destroyed || this.closed || this.closing !== undefined) {
      handler.onError(new Http1Error('ERR_POOL_CLOSED', 'the connection pool is closed'));
      return;
    }
    if (signal?.aborted === true) {
      handler.onError(abortError());
      return;
    }
    const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
    const p: Pending = {
      head: `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n${headers}${length}\r\n${body ?? ''}`,
      noBody: method === 'HEAD',
      handler,
      signal,
      onAbort: undefined,
      connection: undefined,
      deadline: 0,
      settled: false,
    };
    if (signal !== undefined) {
      p.onAbort = () => this.abort(p);
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
    this.queue.push(p);
    this.startQueued();
  }

  /** Gives queued requests idle sockets, or new ones while under the limit. */
  private startQueued(): void {
    while (this.queue.length > 0 && !this.destroyed) {
      const c =
        this.idle.pop() ?? (this.all.size < this.opts.connections ? this.open() : undefined);
      if (c === undefined) return;
      this.start(c, this.queue.shift()!);
    }
  }

  /** Resolves once every queued and running request has ended; then closes the sockets. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closing = () => {
        for (const c of this.all) c.socket.end();
        this.stopSweeper();
        resolve();
      };
      this.maybeClosed();
    });
  }

  /** Fails every queued and running request and closes every socket at once. */
  destroy(): Promise<void> {
    this.destroyed = true;
    const err = () => new Http1Error('ERR_POOL_DESTROYED', 'the connection pool was destroyed');
    for (const p of this.queue.splice(0)) this.settle(p, err());
    for (const c of [...this.all]) {
      if (c.pending !== undefined) this.settle(c.pending, err());
      this.drop(c);
    }
    this.running = 0;
    this.stopSweeper();
    // A close() still waiting is over too.
    const done = this.closing;
    this.closing = undefined;
    this.closed = true;
    done?.();
    return Promise.resolve();
  }

  private open(): Connection {
    const { tls } = this.opts;
    // Reads land in one buffer shared by every socket of the pool and go straight to the parser,
    // without a Buffer and a stream 'data' event per read: reads run one at a time on this thread
    // and each is consumed before the callback returns (what is kept is copied).
    const onread = {
      buffer: this.readBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        c.read(Buffer.from(buf.buffer, buf.byteOffset, n));
        return true;
      },
    };
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host: this.host, port: this.port, noDelay: true, onread })
        : connectTls({
            // Supported by tls.connect since Node 15 (nodejs/node#35753); missing from its types.
            ...({ onread } as ConnectionOptions),
            host: this.host,
            port: this.port,
            secureContext: tls.secureContext,
            rejectUnauthorized: tls.rejectUnauthorized,
            // An IP address is not a valid SNI name; Node warns if one is given.
            ...(tls.servername !== undefined
              ? { servername: tls.servername }
              : isIP(this.host) === 0
                ? { servername: this.host }
                : {}),
            ALPNProtocols: ['http/1.1'],
            ...(this.session === undefined ? {} : { session: this.session }),
          }).setNoDelay(true);
    const c: Connection = new Connection(
      socket,
      this,
      new ResponseParser(this.opts.captureHeaders),
    );
    if (tls !== undefined) socket.on('session', (s: Buffer) => (this.session = s));
    this.all.add(c);
    this.opts.counter?.opened();
    this.ensureSweeper();
    return c;
  }

  private start(c: Connection, p: Pending): void {
    p.connection = c;
    p.deadline = Date.now() + this.opts.headersTimeoutMs;
    c.begin(p);
    this.running++;
  }

  /** Called by a connection when its response is complete and the socket may be reused. */
  released(c: Connection, p: Pending, reusable: boolean): void {
    this.running--;
    this.settle(p, undefined);
    if (!reusable) this.drop(c);
    else {
      c.idleSince = Date.now();
      this.idle.push(c);
    }
    this.startQueued();
    this.maybeClosed();
  }

  /** Called by a connection whose socket failed or closed; fails its request if it had one. */
  failed(c: Connection, err: Http1Error): void {
    const p = c.pending;
    this.drop(c);
    if (p !== undefined) {
      this.running--;
      this.settle(p, err);
    }
    // A queued request waits for a socket; this one is gone, so one may be opened for it.
    this.startQueued();
    this.maybeClosed();
  }

  private drop(c: Connection): void {
    if (!this.all.delete(c)) return;
    this.opts.counter?.closed();
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    c.pending = undefined;
    c.socket.destroy();
  }

  private settle(p: Pending, err: Http1Error | undefined): void {
    if (p.settled) return;
    p.settled = true;
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    if (err !== undefined) p.handler.onError(err);
    else p.handler.onEnd();
  }

  private abort(p: Pending): void {
    if (p.settled) return;
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(p, abortError());
    } else if (p.connection !== undefined && p.connection.pending === p) {
      this.failed(p.connection, abortError());
    }
  }

  private maybeClosed(): void {
    const done = this.closing;
    if (done !== undefined && this.running === 0 && this.queue.length === 0) {
      this.closing = undefined;
      this.closed = true;
      done();
    }
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

  /** Timeouts, checked a few times a second instead of a timer per request. */
  private sweep(): void {
    const now = Date.now();
    for (const c of [...this.all]) {
      const p = c.pending;
      if (p !== undefined) {
        if (p.deadline > 0 && now >= p.deadline) {
          const headers = !c.parser.headersDone;
          this.failed(
            c,
            new Http1Error(
              headers ? 'UND_ERR_HEADERS_TIMEOUT' : 'UND_ERR_BODY_TIMEOUT',
              headers
                ? `no response headers after ${this.opts.headersTimeoutMs} ms`
                : `the response body was silent for ${this.opts.bodyTimeoutMs} ms`,
            ),
          );
        }
      } else if (now - c.idleSince >= this.opts.keepAliveTimeoutMs) {
        this.drop(c);
      }
    }
    if (this.all.size === 0) this.stopSweeper();
  }

  /** The body deadline after a chunk arrived, or none. */
  bodyDeadline(): number {
    return this.opts.bodyTimeoutMs > 0 ? Date.now() + this.opts.bodyTimeoutMs : 0;
  }
}

/** The URL's host as sockets take it: an IPv6 address without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export function abortError(): Http1Error {
  return new Http1Error('ABORT_ERR', 'the request was aborted');
}

/** One socket and the request on it. */
class Connection {
  pending: Pending | undefined;
  idleSince = Date.now();
  constructor(
    readonly socket: Socket,
    private readonly pool: Http1Pool,
    readonly parser: ResponseParser,
  ) {
    socket.on('error', (err: Error & { code?: string }) =>
      this.pool.failed(this, new Http1Error(err.code ?? 'ERR_SOCKET', err.message)),
    );
    socket.on('close', () => {
      const p = this.pending;
      if (p !== undefined && this.parser.untilClose && this.parser.headersDone) {
        this.pending = undefined;
        this.pool.released(this, p, false);
      } else {
        this.pool.failed(
          this,
          new Http1Error(
            'UND_ERR_SOCKET',
            'the server closed the connection before the response ended',
          ),
        );
      }
    });
  }

  begin(p: Pending): void {
    this.pending = p;
    this.parser.reset(p.noBody);
    // A socket still connecting (or still in its TLS handshake) holds the write until it is ready.
    this.socket.write(p.head);
  }

  /** A read from the socket; `chunk` is only valid during the call. */
  read(chunk: Buffer): void {
    const p = this.pending;
    if (p === undefined) {
      // Bytes with no request outstanding: the server broke the protocol; never reuse this socket.
      this.pool.failed(this, new Http1Error('UND_ERR_SOCKET', 'data with no request outstanding'));
      return;
    }
    let r: ParseResult;
    try {
      r = this.parser.push(chunk, p.handler);
    } catch (err) {
      this.pool.failed(
        this,
        err instanceof Http1Error ? err : new Http1Error('HPE_INVALID', (err as Error).message),
      );
      return;
    }
    if (r === ParseResult.Done) {
      this.pending = undefined;
      this.pool.released(this, p, this.parser.keepAlive && !this.parser.trailing);
    } else if (this.parser.headersDone) {
      p.deadline = this.pool.bodyDeadline();
    }
  }
}

const enum ParseResult {
  More,
  Done,
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

const CR = 13;
const LF = 10;

/**
 * The incremental parser of one response at a time. Feed it the socket's chunks with `push`; it
 * calls the handler's `onHeaders` and `onData`, and returns `Done` when the response has ended
 * (the pool calls `onEnd`). Throws `Http1Error` on a malformed response.
 */
export class ResponseParser {
  private readonly capture: HeaderCapture;
  headersDone = false;
  keepAlive = true;
  untilClose = false;
  /** Bytes arrived after the end of the response: the socket is out of step. */
  trailing = false;
  private state = State.Head;
  private noBody = false;
  private head: Buffer | undefined;
  private remaining = 0;
  private line: Buffer | undefined;

  private readonly framingAt: number;

  /** `captureHeaders`: lower-case names of the headers whose values `onHeaders` gets. */
  constructor(captureHeaders: readonly string[] = []) {
    this.capture = new HeaderCapture([...captureHeaders, ...FRAMING_HEADERS]);
    this.framingAt = captureHeaders.length;
  }

  reset(noBody: boolean): void {
    this.headersDone = false;
    this.keepAlive = true;
    this.untilClose = false;
    this.trailing = false;
    this.state = State.Head;
    this.noBody = noBody;
    this.head = undefined;
    this.remaining = 0;
    this.line = undefined;
  }

  push(chunk: Buffer, handler: Http1Handler): ParseResult {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case State.Head:
          at = this.parseHead(chunk, at, handler);
          break;
        case State.Length: {
          const n = Math.min(this.remaining, chunk.length - at);
          handler.onData(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.Done;
          break;
        }
        case State.ChunkSize:
        case State.Trailers: {
          const end = chunk.indexOf(LF, at);
          const piece = chunk.subarray(at, end < 0 ? chunk.length : end + 1);
          // Copied: the chunk is only valid during `push`.
          this.line =
            this.line === undefined ? Buffer.from(piece) : Buffer.concat([this.line, piece]);
          if (this.line.length > MAX_HEAD_BYTES) throw malformed('a chunk line is too long');
          at += piece.length;
          if (end >= 0) {
            const text = this.line.toString('latin1').replace(/\r?\n$/, '');
            this.line = undefined;
            if (this.state === State.Trailers) {
              if (text === '') this.state = State.Done;
            } else {
              const size = parseInt(text.split(';', 1)[0]!.trim(), 16);
              if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]+/.test(text.trim())) {
                throw malformed(`bad chunk size ${JSON.stringify(text.slice(0, 20))}`);
              }
              this.remaining = size;
              this.state = size === 0 ? State.Trailers : State.ChunkData;
            }
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, chunk.length - at);
          handler.onData(chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.remaining = 2;
          }
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after a chunk's data, possibly split across reads.
          const byte = chunk[at]!;
          if (byte !== (this.remaining === 2 ? CR : LF))
            throw malformed('a chunk does not end in CRLF');
          at++;
          if (--this.remaining === 0) this.state = State.ChunkSize;
          break;
        }
        case State.UntilClose:
          handler.onData(at === 0 ? chunk : chunk.subarray(at));
          at = chunk.length;
          break;
        case State.Done:
          this.trailing = true;
          return ParseResult.Done;
      }
    }
    return this.state === State.Done ? ParseResult.Done : ParseResult.More;
  }

  /** Finds the end of the head in `chunk` (joined to what came before), parses it, returns where the body starts. */
  private parseHead(chunk: Buffer, at: number, handler: Http1Handler): number {
    const prior = this.head;
    const buf = prior === undefined ? chunk : Buffer.concat([prior, chunk.subarray(at)]);
    const from = prior === undefined ? at : 0;
    // Search from a little before the new bytes: the blank line may straddle two reads.
    const end = buf.indexOf('\r\n\r\n', Math.max(from, prior === undefined ? 0 : prior.length - 3));
    if (end < 0) {
      if (buf.length - from > MAX_HEAD_BYTES) throw malformed('the response head is too long');
      this.head = prior === undefined ? Buffer.from(chunk.subarray(at)) : buf;
      return chunk.length;
    }
    this.head = undefined;
    const consumed = end + 4 - from; // bytes of `buf` from `from` to the end of the head
    const bodyAt = prior === undefined ? end + 4 : at + consumed - prior.length;
    const text = buf.toString('latin1', from, end);
    const firstEnd = text.indexOf('\r\n');
    const statusLine = firstEnd < 0 ? text : text.slice(0, firstEnd);
    const status = statusOf(statusLine);
    const headers = this.capture.read(text, firstEnd < 0 ? text.length : firstEnd + 2);
    if (status < 200) {
      // 1xx informational: another head follows for the same request.
      return bodyAt;
    }
    this.headersDone = true;
    const f = this.framingAt;
    const cl = headers[f];
    const te = headers[f + 1];
    const connection = headers[f + 2]?.toLowerCase();
    if (connection !== undefined && connection.includes('close')) this.keepAlive = false;
    if (statusLine.startsWith('HTTP/1.0') && !(connection ?? '').includes('keep-alive')) {
      this.keepAlive = false;
    }
    handler.onHeaders(status, headers);
    if (this.noBody || status === 204 || status === 304) this.state = State.Done;
    else if (te !== undefined && te.toLowerCase().includes('chunked')) this.state = State.ChunkSize;
    else if (cl !== undefined) {
      const n = Number(cl);
      if (!Number.isSafeInteger(n) || n < 0) throw malformed(`bad content-length ${cl}`);
      this.remaining = n;
      this.state = n === 0 ? State.Done : State.Length;
    } else {
      this.untilClose = true;
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
    return bodyAt;
  }
}

/** The headers the parser itself reads, captured after the caller's. */
const FRAMING_HEADERS = ['content-length', 'transfer-encoding', 'connection'];

/**
 * Picks the wanted headers out of a response head without a string per header name: a name is
 * compared in place, case-insensitively, with the wanted names of its length. Every line must
 * still be `name: value`. Repeated headers are joined with ", ".
 */
class HeaderCapture {
  constructor(private readonly names: readonly string[]) {}

  /** The values of the wanted headers, in the order of `names`, from the lines of `text` after `at`. */
  read(text: string, at: number): (string | undefined)[] {
    const values = new Array<string | undefined>(this.names.length).fill(undefined);
    while (at < text.length) {
      let eol = text.indexOf('\r\n', at);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', at);
      if (colon <= at || colon > eol) {
        throw malformed(
          `bad header line ${JSON.stringify(text.slice(at, Math.min(eol, at + 40)))}`,
        );
      }
      let nameEnd = colon;
      while (nameEnd > at && text.charCodeAt(nameEnd - 1) === 32) nameEnd--;
      const i = this.indexOf(text, at, nameEnd - at);
      if (i >= 0) {
        const value = text.slice(colon + 1, eol).trim();
        const before = values[i];
        values[i] = before === undefined ? value : `${before}, ${value}`;
      }
      at = eol + 2;
    }
    return values;
  }

  private indexOf(text: string, at: number, length: number): number {
    const { names } = this;
    next: for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name.length !== length) continue;
      for (let k = 0; k < length; k++) {
        let c = text.charCodeAt(at + k);
        if (c >= 65 && c <= 90) c += 32; // A-Z
        if (c !== name.charCodeAt(k)) continue next;
      }
      return i;
    }
    return -1;
  }
}

function statusOf(line: string): number {
  // "HTTP/1.1 200 OK"
  const status = line.startsWith('HTTP/1.') ? Number(line.slice(9, 12)) : NaN;
  if (!(status >= 100 && status <= 999) || (line.length > 12 && line.charCodeAt(12) !== 32)) {
    throw malformed(`bad status line ${JSON.stringify(line.slice(0, 40))}`);
  }
  return status;
}

function malformed(message: string): Http1Error {
  return new Http1Error('HPE_INVALID', `malformed response: ${message}`);
}
