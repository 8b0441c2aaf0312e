import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { buildConnector, Pool } from 'undici';
import type { ConnectionCounter } from './connections.js';
import { H2Pool } from './h2.js';
import { Http1Pool, type Http1Error, type Http1Handler } from './http1.js';
import type { KubeResponse } from './response.js';
import type { Identity, KubeTarget } from './target.js';

/** The wire protocol of `send` and watches: HTTP/2 as client-go speaks it, or HTTP/1.1. */
export type Protocol = 'h2' | 'http1';

export interface TransportOptions {
  /** `http1` (the default here, for setup and admin requests) or `h2`. */
  readonly protocol?: Protocol;
  /**
   * Upper bound on connections to the server for requests (HTTP/1.1: one request each; h2: each
   * carries up to `maxStreamsPerConnection` requests and watches).
   */
  readonly connections?: number;
  /** h2 only: our cap on streams per connection; the server's own limit applies too. */
  readonly maxStreamsPerConnection?: number;
  /** Milliseconds to wait for response headers before failing the request. */
  readonly headersTimeoutMs?: number;
  /** Milliseconds of silence on the body before failing the request (0 = none, for watches). */
  readonly bodyTimeoutMs?: number;
  /**
   * Presented on this transport's connections instead of the target's (an identity's, a
   * kubelet's): its own TLS context and session cache, so that no connection resumes a session
   * made with another certificate.
   */
  readonly clientCert?: { readonly cert: string; readonly key: string } | undefined;
  /** Counts the connections this transport opens for `send` and watches. */
  readonly counter?: ConnectionCounter | undefined;
  /**
   * A request or watch made with a refreshable credential (Identity.credential) was answered
   * 401: its token may have expired. Called for every such response; the listener dedupes.
   */
  readonly onUnauthorized?: ((credential: string, token: string) => void) | undefined;
}

/** A streamed response (a watch): status, one header by name, and the body. */
export interface StreamResponse {
  readonly statusCode: number;
  header(name: string): string | undefined;
  readonly body: Readable;
}

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with query string, e.g. `/api/v1/namespaces/x/configmaps?limit=500`. */
  readonly path: string;
  readonly identity: Identity;
  /** Serialized JSON body. */
  readonly body?: string | undefined;
  readonly contentType?: string | undefined;
  /** Skip JSON parsing of the response (the hot path only needs status and size). */
  readonly discardBody?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The connections of one worker, one actor or one command to one API server. `send` never
 * rejects: transport failures come back as `status: 0` with `error`, so load loops record them
 * like any other outcome. Safe to share between all actors of a worker.
 *
 * With `protocol: 'http1'`, `send` goes over apfbench's lean HTTP/1.1 pool (`http1.ts`), the hot
 * path, and watches over undici, a socket each. With `protocol: 'h2'`, both are streams of one
 * HTTP/2 connection (`h2.ts`; more only past the stream limit), as client-go's are. Either way the
 * occasional plain-text request (`/metrics`, debug dumps) goes over undici.
 */
export class Transport {
  readonly target: KubeTarget;
  readonly protocol: Protocol;
  private readonly unary: Http1Pool | undefined;
  private readonly h2: H2Pool | undefined;
  private readonly tls: TlsSetup;
  private readonly counter: ConnectionCounter | undefined;
  private requests: Pool | undefined;
  private watches: Pool | undefined;
  /** The current token of each refreshable credential, by name (Identity.credential). */
  private readonly tokens = new Map<string, string>();
  private readonly onUnauthorized: TransportOptions['onUnauthorized'];

  constructor(target: KubeTarget, opts: TransportOptions = {}) {
    this.target = target;
    this.onUnauthorized = opts.onUnauthorized;
    this.protocol = opts.protocol ?? 'http1';
    this.counter = opts.counter;
    this.tls = tlsSetupOf(target, opts.clientCert);
    const { secureContext, rejectUnauthorized } = this.tls;
    const tls =
      secureContext === undefined
        ? {}
        : { tls: { secureContext, rejectUnauthorized, servername: target.tlsServerName } };
    const common = {
      headersTimeoutMs: opts.headersTimeoutMs ?? 60_000,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 60_000,
      captureHeaders: RESPONSE_HEADERS,
      counter: opts.counter,
      ...tls,
    };
    if (this.protocol === 'h2') {
      this.h2 = new H2Pool(target.server, {
        ...common,
        maxConnections: opts.connections ?? 1,
        maxStreamsPerConnection: opts.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS,
      });
    } else {
      this.unary = new Http1Pool(target.server, {
        ...common,
        connections: opts.connections ?? 64,
        keepAliveTimeoutMs: KEEP_ALIVE_MS,
      });
    }
  }

  /** Requests queued for a connection (or a stream) and requests on one, in the `send` pool. */
  get stats(): { readonly pending: number; readonly running: number } {
    return (this.h2 ?? this.unary)!.stats;
  }

  /**
   * An undici pool for requests that `send` does not fit: plain-text responses (`/metrics`) and
   * debug dumps. Opened on first use, with at most two sockets.
   */
  get pool(): Pool {
    this.requests ??= new Pool(this.target.server, {
      connections: 2,
      connect: this.tls.connect,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      keepAliveTimeout: KEEP_ALIVE_MS,
    });
    return this.requests;
  }

  /**
   * The HTTP/1.1 pool for watches: a watch holds its socket for as long as it runs, and undici's
   * pool looks for a free socket by walking its sockets in order, so thousands of held ones in the
   * request pool made every request walk past them. Same TLS context and session cache.
   */
  private get watchPool(): Pool {
    this.watches ??= new Pool(this.target.server, {
      connections: null,
      connect: counted(this.tls.connect, this.counter),
      headersTimeout: 60_000,
      bodyTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_MS,
    });
    return this.watches;
  }

  /**
   * Replaces the token sent for `credential` from now on: requests and watches handed to the
   * transport after this call carry it, also those of identities made before it.
   */
  setToken(credential: string, token: string): void {
    this.tokens.set(credential, token);
  }

  /** The bearer token a request as `identity` carries now. */
  tokenOf(identity: Identity): string | undefined {
    const { credential } = identity;
    return credential === undefined
      ? identity.token
      : (this.tokens.get(credential) ?? identity.token);
  }

  /** Request headers as `identity`, with its current token (for undici requests and watches). */
  headers(identity: Identity): Readonly<Record<string, string | string[]>> {
    return requestHeaders({ identity }, this.tokenOf(identity));
  }

  send<T = unknown>(spec: RequestSpec): Promise<KubeResponse<T>> {
    const token = this.tokenOf(spec.identity);
    const { credential } = spec.identity;
    return new Promise((resolve) => {
      const done =
        credential === undefined || this.onUnauthorized === undefined
          ? resolve
          : (r: KubeResponse<T>) => {
              if (r.status === 401) this.unauthorized(credential, token);
              resolve(r);
            };
      const handler = new ResponseCollector<T>(spec.discardBody === true, done);
      if (this.h2 !== undefined) {
        this.h2.request(
          spec.method,
          spec.path,
          requestHeaders(spec, token),
          spec.body,
          handler,
          spec.signal,
        );
      } else {
        this.unary!.request(
          spec.method,
          spec.path,
          headerBlock(spec, token),
          spec.body,
          handler,
          spec.signal,
        );
      }
    });
  }

  /**
   * A long-lived GET (a watch): a stream of the h2 connection, or an undici socket of its own.
   * `idleTimeoutMs` fails the body after that long without bytes (0 = never). Rejects when no
   * response came.
   */
  async stream(
    path: string,
    identity: Identity,
    signal: AbortSignal,
    idleTimeoutMs: number,
  ): Promise<StreamResponse> {
    const token = this.tokenOf(identity);
    const headers = requestHeaders({ identity }, token);
    const res =
      this.h2 !== undefined
        ? await this.h2.stream(path, headers, signal, idleTimeoutMs)
        : await this.watchPool.request({
            method: 'GET',
            path,
            headers,
            signal,
            bodyTimeout: idleTimeoutMs,
          });
    if (res.statusCode === 401 && identity.credential !== undefined) {
      this.unauthorized(identity.credential, token);
    }
    return { statusCode: res.statusCode, header: firstOf(res.headers), body: res.body };
  }

  private unauthorized(credential: string, token: string | undefined): void {
    if (token !== undefined) this.onUnauthorized?.(credential, token);
  }

  async close(): Promise<void> {
    await Promise.all([
      this.unary?.close(),
      this.h2?.close(),
      this.requests?.close(),
      this.watches?.close(),
    ]);
  }

  /** Closes at once, failing in-flight requests (used when a run is interrupted). */
  async destroy(): Promise<void> {
    await Promise.all([
      this.unary?.destroy(),
      this.h2?.destroy(),
      this.requests?.destroy(),
      this.watches?.destroy(),
    ]);
  }
}

/** client-go's peer, kube-apiserver, allows 100 streams per connection by default. */
export const DEFAULT_MAX_STREAMS = 100;

/** `connect`, counting the sockets it opens into `counter` (if any) as they open and close. */
function counted(
  connect: buildConnector.connector,
  counter: ConnectionCounter | undefined,
): buildConnector.connector {
  if (counter === undefined) return connect;
  return (options, callback) =>
    connect(options, (err, socket) => {
      // A failed connect (the server is down) gives no socket: null, or undefined in undici.
      if (socket !== null && socket !== undefined) {
        counter.opened();
        socket.once('close', () => counter.closed());
      }
      (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
    });
}

function firstOf(
  headers: Record<string, string | string[] | undefined>,
): (name: string) => string | undefined {
  return (name) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
}

/** What every transport to one target shares: its TLS context and undici's connector. */
interface TlsSetup {
  readonly secureContext: SecureContext | undefined;
  readonly rejectUnauthorized: boolean;
  readonly connect: buildConnector.connector;
}

/** By target, and by client certificate for those given apart from their target. */
const tlsSetups = new WeakMap<object, TlsSetup>();
const certTlsSetups = new WeakMap<object, TlsSetup>();

/**
 * One TLS context and one session cache for every socket to a target, built once however many
 * transports (one per actor) go there. Without an explicit context, tls.connect parses the CA,
 * certificate and key again for each socket: with 2,000 kubelets opening 3,000 sockets in their
 * first seconds that was the worker's largest cost. The cache lets a new socket resume an earlier
 * TLS session instead of a full handshake (undici keys it by server name). A client certificate
 * given apart from the target gets a context and a cache of its own, built once per certificate
 * object: a resumed session keeps the certificate it was made with.
 */
function tlsSetupOf(
  target: KubeTarget,
  clientCert: TransportOptions['clientCert'] = undefined,
): TlsSetup {
  const cache = clientCert === undefined ? tlsSetups : certTlsSetups;
  const key = clientCert ?? target;
  let setup = cache.get(key);
  if (setup !== undefined) return setup;
  const tls: Record<string, unknown> = {};
  if (target.ca !== undefined) tls.ca = target.ca;
  const cert = clientCert ?? target.clientCert;
  if (cert !== undefined) {
    tls.cert = cert.cert;
    tls.key = cert.key;
  }
  const secureContext: SecureContext | undefined = target.server.startsWith('https:')
    ? createSecureContext(tls)
    : undefined;
  const rejectUnauthorized = target.insecureSkipTLSVerify !== true;
  const connect = buildConnector({
    ...(secureContext === undefined ? {} : { secureContext }),
    ...(rejectUnauthorized ? {} : { rejectUnauthorized: false }),
    ...(target.tlsServerName !== undefined ? { servername: target.tlsServerName } : {}),
    maxCachedSessions: 100,
  });
  cache.set(key, (setup = { secureContext, rejectUnauthorized, connect }));
  return setup;
}

const KEEP_ALIVE_MS = 30_000;

/** The response headers `ResponseCollector` reads, in the order `onHeaders` destructures them. */
const RESPONSE_HEADERS = [
  'content-type',
  'retry-after',
  'x-kubernetes-pf-flowschema-uid',
  'x-kubernetes-pf-prioritylevel-uid',
];

/**
 * Headers that depend only on the identity, its token and the body's type, built once per
 * identity object and again when its token changes (a refreshed credential).
 */
const identityHeaders = new WeakMap<
  Identity,
  {
    readonly token: string | undefined;
    readonly plain: Readonly<Record<string, string | string[]>>;
    readonly typed: Map<string, Readonly<Record<string, string | string[]>>>;
  }
>();

/**
 * Request headers as `spec.identity`, with `token` (by default the identity's own); shared and
 * never mutated (undici and http2 only read them), so callers must not mutate them either.
 */
export function requestHeaders(
  spec: {
    identity: Identity;
    body?: string | undefined;
    contentType?: string | undefined;
  },
  token = spec.identity.token,
): Readonly<Record<string, string | string[]>> {
  let base = identityHeaders.get(spec.identity);
  if (base === undefined || base.token !== token) {
    const { identity } = spec;
    const headers: Record<string, string | string[]> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (identity.impersonate !== undefined) {
      headers['impersonate-user'] = identity.impersonate.user;
      if (identity.impersonate.groups !== undefined && identity.impersonate.groups.length > 0) {
        headers['impersonate-group'] = [...identity.impersonate.groups];
      }
      if (identity.impersonate.uid !== undefined)
        headers['impersonate-uid'] = identity.impersonate.uid;
    }
    identityHeaders.set(identity, (base = { token, plain: headers, typed: new Map() }));
  }
  if (spec.body === undefined) return base.plain;
  const type = spec.contentType ?? 'application/json';
  let typed = base.typed.get(type);
  if (typed === undefined) base.typed.set(type, (typed = { ...base.plain, 'content-type': type }));
  return typed;
}

/** `requestHeaders` as the `name: value\r\n` lines the HTTP/1.1 pool writes, built once per identity. */
const identityBlocks = new WeakMap<
  Identity,
  {
    readonly token: string | undefined;
    readonly plain: string;
    readonly typed: Map<string, string>;
  }
>();

function headerBlock(spec: RequestSpec, token: string | undefined): string {
  let blocks = identityBlocks.get(spec.identity);
  if (blocks === undefined || blocks.token !== token) {
    let plain = '';
    for (const [name, value] of Object.entries(
      requestHeaders({ identity: spec.identity }, token),
    )) {
      for (const v of Array.isArray(value) ? value : [value]) plain += `${name}: ${v}\r\n`;
    }
    blocks = { token, plain, typed: new Map() };
    identityBlocks.set(spec.identity, blocks);
  }
  if (spec.body === undefined) return blocks.plain;
  const type = spec.contentType ?? 'application/json';
  let block = blocks.typed.get(type);
  if (block === undefined)
    blocks.typed.set(type, (block = `${blocks.plain}content-type: ${type}\r\n`));
  return block;
}

/** Gathers one response from the HTTP/1.1 pool into a `KubeResponse`; never throws. */
class ResponseCollector<T> implements Http1Handler {
  private readonly sentAt = performance.now();
  private headersAt = 0;
  private status = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private flowSchemaUID: string | undefined;
  private priorityLevelUID: string | undefined;
  private retryAfterSeconds: number | undefined;
  private json = false;

  constructor(
    private readonly discard: boolean,
    private readonly resolve: (r: KubeResponse<T>) => void,
  ) {}

  onHeaders(statusCode: number, values: readonly (string | undefined)[]): void {
    this.headersAt = performance.now();
    this.status = statusCode;
    const [contentType, retryAfter, flowSchemaUID, priorityLevelUID] = values;
    this.flowSchemaUID = flowSchemaUID;
    this.priorityLevelUID = priorityLevelUID;
    if (retryAfter !== undefined) {
      const n = Number(retryAfter);
      if (Number.isFinite(n)) this.retryAfterSeconds = n;
    }
    this.json = (contentType ?? '').includes('json');
  }

  onData(chunk: Buffer): void {
    this.bytes += chunk.length;
    // Copied: the pool reuses the buffer under `chunk` for its next read.
    if (!this.discard) this.chunks.push(Buffer.from(chunk));
  }

  onEnd(): void {
    let body: T | undefined;
    if (!this.discard && this.json && this.bytes > 0) {
      try {
        const chunks = this.chunks;
        body = JSON.parse(
          (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'),
        ) as T;
      } catch {
        body = undefined;
      }
    }
    this.chunks = [];
    this.finish(body, undefined);
  }

  onError(err: Http1Error): void {
    this.status = 0;
    this.finish(undefined, { code: err.code, message: err.message });
  }

  private finish(body: T | undefined, error: KubeResponse['error']): void {
    this.resolve({
      status: this.status,
      body,
      bytes: this.bytes,
      sentAt: this.sentAt,
      headersAt: this.headersAt,
      doneAt: performance.now(),
      flowSchemaUID: this.flowSchemaUID,
      priorityLevelUID: this.priorityLevelUID,
      retryAfterSeconds: this.retryAfterSeconds,
      error,
    });
  }
}
