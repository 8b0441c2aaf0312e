import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import type { KubeResponse } from './response.js';
import type { Identity, KubeTarget } from './target.js';

export interface TransportOptions {
  /** Upper bound on sockets to the server. */
  readonly connections?: number;
  /** Milliseconds to wait for response headers before failing the request. */
  readonly headersTimeoutMs?: number;
  /** Milliseconds of silence on the body before failing the request (0 = none, for watches). */
  readonly bodyTimeoutMs?: number;
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
 * One connection pool to one API server. `send` never rejects: transport
 * failures come back as `status: 0` with `error`, so load loops record them
 * like any other outcome. Safe to share between all actors of a worker.
 */
export class Transport {
  readonly target: KubeTarget;
  /** Requests that end (everything but watches). */
  readonly pool: Pool;
  private readonly connect: buildConnector.connector;
  private watches: Pool | undefined;

  constructor(target: KubeTarget, opts: TransportOptions = {}) {
    this.target = target;
    // One TLS context and one session cache for every socket of this transport. Without an
    // explicit context, tls.connect parses the CA, certificate and key again for each socket:
    // with 2,000 kubelets opening 3,000 sockets in their first seconds that was the worker's
    // largest cost. The cache lets a new socket resume an earlier TLS session instead of a full
    // handshake (undici keys it by server name).
    const tls: Record<string, unknown> = {};
    if (target.ca !== undefined) tls.ca = target.ca;
    if (target.clientCert !== undefined) {
      tls.cert = target.clientCert.cert;
      tls.key = target.clientCert.key;
    }
    const secure = target.server.startsWith('https:');
    this.connect = buildConnector({
      ...(secure ? { secureContext: createSecureContext(tls) } : {}),
      ...(target.insecureSkipTLSVerify === true ? { rejectUnauthorized: false } : {}),
      ...(target.tlsServerName !== undefined ? { servername: target.tlsServerName } : {}),
      maxCachedSessions: 100,
    });
    this.pool = new Pool(target.server, {
      connections: opts.connections ?? 64,
      connect: this.connect,
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
      keepAliveTimeout: 30_000,
    });
  }

  /**
   * The pool for watches: a watch holds its socket for as long as it runs, and undici's pool
   * looks for a free socket by walking its sockets in order, so thousands of held ones in the
   * request pool made every request walk past them. Same TLS context and session cache.
   */
  get watchPool(): Pool {
    this.watches ??= new Pool(this.target.server, {
      connections: null,
      connect: this.connect,
      headersTimeout: 60_000,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
    });
    return this.watches;
  }

  send<T = unknown>(spec: RequestSpec): Promise<KubeResponse<T>> {
    return new Promise((resolve) => {
      const handler = new ResponseCollector<T>(spec.discardBody === true, spec.signal, resolve);
      const options: Dispatcher.DispatchOptions = {
        method: spec.method,
        path: spec.path,
        headers: requestHeaders(spec),
        body: spec.body ?? null,
      };
      this.pool.dispatch(options, handler);
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.watches?.close()]);
  }

  /** Closes at once, failing in-flight requests (used when a run is interrupted). */
  async destroy(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.watches?.destroy()]);
  }
}

/** Headers that depend only on the identity, built once per identity object. */
const identityHeaders = new WeakMap<Identity, Readonly<Record<string, string | string[]>>>();

/** Request headers; shared and never mutated (undici only reads them), so callers must not mutate them either. */
export function requestHeaders(spec: {
  identity: Identity;
  body?: string | undefined;
  contentType?: string | undefined;
}): Readonly<Record<string, string | string[]>> {
  let base = identityHeaders.get(spec.identity);
  if (base === undefined) {
    const { identity } = spec;
    const headers: Record<string, string | string[]> = { accept: 'application/json' };
    if (identity.token !== undefined) headers.authorization = `Bearer ${identity.token}`;
    if (identity.impersonate !== undefined) {
      headers['impersonate-user'] = identity.impersonate.user;
      if (identity.impersonate.groups !== undefined && identity.impersonate.groups.length > 0) {
        headers['impersonate-group'] = [...identity.impersonate.groups];
      }
      if (identity.impersonate.uid !== undefined)
        headers['impersonate-uid'] = identity.impersonate.uid;
    }
    identityHeaders.set(identity, (base = headers));
  }
  return spec.body === undefined
    ? base
    : { ...base, 'content-type': spec.contentType ?? 'application/json' };
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string) {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** undici dispatch handler that gathers one response; never throws. */
class ResponseCollector<T> implements Dispatcher.DispatchHandler {
  private readonly sentAt = performance.now();
  private headersAt = 0;
  private status = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private flowSchemaUID: string | undefined;
  private priorityLevelUID: string | undefined;
  private retryAfterSeconds: number | undefined;
  private json = false;

  private done = false;
  private abortListener: (() => void) | undefined;

  constructor(
    private readonly discard: boolean,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (r: KubeResponse<T>) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const { signal } = this;
    if (signal === undefined || this.abortListener !== undefined) return;
    if (signal.aborted) {
      controller.abort(signal.reason);
      return;
    }
    this.abortListener = () => controller.abort(signal.reason);
    signal.addEventListener('abort', this.abortListener, { once: true });
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx informational
    this.headersAt = performance.now();
    this.status = statusCode;
    this.flowSchemaUID = headerValue(headers, 'x-kubernetes-pf-flowschema-uid');
    this.priorityLevelUID = headerValue(headers, 'x-kubernetes-pf-prioritylevel-uid');
    const retryAfter = headerValue(headers, 'retry-after');
    if (retryAfter !== undefined) {
      const n = Number(retryAfter);
      if (Number.isFinite(n)) this.retryAfterSeconds = n;
    }
    this.json = (headerValue(headers, 'content-type') ?? '').includes('json');
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
    if (!this.discard) this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    let body: T | undefined;
    if (!this.discard && this.json && this.bytes > 0) {
      try {
        body = JSON.parse(Buffer.concat(this.chunks).toString('utf8')) as T;
      } catch {
        body = undefined;
      }
    }
    this.chunks = [];
    this.finish(body, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const code = (err as { code?: unknown }).code;
    this.status = 0;
    this.finish(undefined, {
      code: typeof code === 'string' ? code : err.name,
      message: err.message,
    });
  }

  private finish(body: T | undefined, error: KubeResponse['error']): void {
    if (this.done) return;
    this.done = true;
    if (this.abortListener !== undefined)
      this.signal?.removeEventListener('abort', this.abortListener);
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
