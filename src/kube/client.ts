import { ApfbenchError } from '../errors.js';
import type { KubeList, KubeObject } from './objects.js';
import { resourcePath, withQuery, type Resource } from './resources.js';
import type { KubeResponse, KubeStatus } from './response.js';
import type { Identity } from './target.js';
import type { RequestSpec, Transport } from './transport.js';
import { noResponseHint } from './unreachable.js';
import { openWatch, type WatchOptions, type WatchStream } from './watch.js';

export interface Where {
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

export interface ListOptions {
  namespace?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan' | undefined;
}

export interface WriteOptions {
  namespace?: string | undefined;
  subresource?: string | undefined;
  dryRun?: boolean | undefined;
  fieldManager?: string | undefined;
  discardBody?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/**
 * Typed helpers over one Transport, all made as one Identity. Every method
 * returns the KubeResponse, whatever the status; setup code that needs success
 * calls `ok()` on it.
 */
export class KubeClient {
  constructor(
    readonly transport: Transport,
    readonly identity: Identity,
  ) {}

  as(identity: Identity): KubeClient {
    return new KubeClient(this.transport, identity);
  }

  request<T = unknown>(spec: Omit<RequestSpec, 'identity'>): Promise<KubeResponse<T>> {
    return this.transport.send<T>({ ...spec, identity: this.identity });
  }

  /**
   * The GET of one object as a ready request, for a caller that sends it again and again (a
   * tenant reading the same fixtures): `send` it with no per-request path or object building.
   */
  getSpec(
    r: Resource,
    where: Where & { name: string },
    opts: { discardBody?: boolean; signal?: AbortSignal } = {},
  ): RequestSpec {
    return {
      method: 'GET',
      path: resourcePath(r, where),
      identity: this.identity,
      discardBody: opts.discardBody,
      signal: opts.signal,
    };
  }

  /** Sends a request built by this client (`getSpec`, `listSpec`), unchanged. */
  send<T = unknown>(spec: RequestSpec): Promise<KubeResponse<T>> {
    return this.transport.send<T>(spec);
  }

  get<T extends KubeObject = KubeObject>(
    r: Resource,
    where: Where & { name: string },
    opts: { discardBody?: boolean; signal?: AbortSignal } = {},
  ): Promise<KubeResponse<T>> {
    return this.transport.send<T>(this.getSpec(r, where, opts));
  }

  /** The LIST as a ready request, for a caller that sends the same one again and again. */
  listSpec(
    r: Resource,
    opts: ListOptions & { discardBody?: boolean; signal?: AbortSignal } = {},
  ): RequestSpec {
    const { namespace, discardBody, signal, ...query } = opts;
    return {
      method: 'GET',
      path: withQuery(resourcePath(r, { namespace }), query),
      identity: this.identity,
      discardBody,
      signal,
    };
  }

  list<T extends KubeObject = KubeObject>(
    r: Resource,
    opts: ListOptions & { discardBody?: boolean; signal?: AbortSignal } = {},
  ): Promise<KubeResponse<KubeList<T>>> {
    return this.transport.send<KubeList<T>>(this.listSpec(r, opts));
  }

  /**
   * Lists every page (following `continue`) and returns the items with the
   * resourceVersion of the list, as an informer does before it watches.
   */
  async listAll<T extends KubeObject = KubeObject>(
    r: Resource,
    opts: Omit<ListOptions, 'continue'> & { pageSize?: number } = {},
  ): Promise<{ items: T[]; resourceVersion: string; pages: number }> {
    const { pageSize = 500, ...rest } = opts;
    const items: T[] = [];
    let cont: string | undefined;
    let pages = 0;
    for (;;) {
      const res = ok(
        await this.list<T>(r, { ...rest, limit: pageSize, continue: cont }),
        `list ${r.plural}`,
      );
      pages++;
      items.push(...res.items);
      cont = res.metadata.continue;
      if (cont === undefined || cont === '') {
        return { items, resourceVersion: res.metadata.resourceVersion ?? '', pages };
      }
    }
  }

  create<T extends KubeObject = KubeObject>(
    r: Resource,
    obj: KubeObject,
    opts: WriteOptions = {},
  ): Promise<KubeResponse<T>> {
    return this.write<T>(
      'POST',
      r,
      { namespace: opts.namespace ?? obj.metadata.namespace, subresource: opts.subresource },
      JSON.stringify(obj),
      opts,
    );
  }

  /**
   * POST of an object the caller serialized (a writer that builds its bodies from a template);
   * the same request as `create` of the object `body` is the JSON of.
   */
  createJson<T extends KubeObject = KubeObject>(
    r: Resource,
    body: string,
    opts: WriteOptions = {},
  ): Promise<KubeResponse<T>> {
    const where = { namespace: opts.namespace, subresource: opts.subresource };
    return this.write<T>('POST', r, where, body, opts);
  }

  /** PUT; the object's metadata.resourceVersion makes it a conditional update (409 when stale). */
  update<T extends KubeObject = KubeObject>(
    r: Resource,
    obj: KubeObject,
    opts: WriteOptions = {},
  ): Promise<KubeResponse<T>> {
    const where = {
      namespace: opts.namespace ?? obj.metadata.namespace,
      name: obj.metadata.name,
      subresource: opts.subresource,
    };
    return this.write<T>('PUT', r, where, JSON.stringify(obj), opts);
  }

  /** `update` of the object named `name` that `body` is the JSON of, serialized by the caller. */
  updateJson<T extends KubeObject = KubeObject>(
    r: Resource,
    name: string,
    body: string,
    opts: WriteOptions = {},
  ): Promise<KubeResponse<T>> {
    const where = { namespace: opts.namespace, name, subresource: opts.subresource };
    return this.write<T>('PUT', r, where, body, opts);
  }

  patch<T extends KubeObject = KubeObject>(
    r: Resource,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: WriteOptions & { force?: boolean } = {},
  ): Promise<KubeResponse<T>> {
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.write<T>(
      'PATCH',
      r,
      { namespace: opts.namespace, name, subresource: opts.subresource },
      body,
      opts,
      patchContentType[type],
      opts.force,
    );
  }

  delete(
    r: Resource,
    where: Where & { name: string },
    opts: WriteOptions = {},
  ): Promise<KubeResponse<KubeStatus>> {
    return this.write<KubeStatus>('DELETE', r, where, undefined, opts);
  }

  deleteCollection(
    r: Resource,
    opts: { namespace?: string; labelSelector: string },
  ): Promise<KubeResponse<KubeStatus>> {
    const path = withQuery(resourcePath(r, { namespace: opts.namespace }), {
      labelSelector: opts.labelSelector,
    });
    return this.request<KubeStatus>({ method: 'DELETE', path });
  }

  watch<T extends KubeObject = KubeObject>(
    r: Resource,
    opts: WatchOptions,
  ): Promise<WatchStream<T>> {
    return openWatch<T>(this.transport, this.identity, r, opts);
  }

  private write<T>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    r: Resource,
    where: Where,
    body: string | undefined,
    opts: WriteOptions,
    contentType?: string,
    force?: boolean,
  ): Promise<KubeResponse<T>> {
    const path = resourcePath(r, where) + writeQuery(opts, force);
    return this.request<T>({
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(contentType === undefined ? {} : { contentType }),
      ...(opts.discardBody === undefined ? {} : { discardBody: opts.discardBody }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
  }
}

/**
 * The query string of a write, with its `?`: '' for a write without options (every write of the
 * load), so that one costs no query building.
 */
export function writeQuery(opts: WriteOptions, force: boolean | undefined): string {
  if (opts.dryRun !== true && opts.fieldManager === undefined && force === undefined) return '';
  return withQuery('', {
    dryRun: opts.dryRun === true ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    force,
  });
}

/** Thrown by `ok()` for a response that setup code cannot continue without. */
export class KubeApiError extends ApfbenchError {
  readonly status: number;
  readonly reason: string | undefined;

  constructor(what: string, res: KubeResponse) {
    const status = res.body as KubeStatus | undefined;
    const detail = res.error?.message ?? status?.message ?? `HTTP ${res.status}`;
    super('APFBENCH_KUBE_API', `${what}: ${detail}`, {
      hint: res.status === 0 ? noResponseHint(res.error?.code) : undefined,
    });
    this.status = res.status;
    this.reason = status?.reason;
  }
}

/** The body of a 2xx response, or a KubeApiError naming what failed. */
export function ok<T>(res: KubeResponse<T>, what: string): T {
  if (res.status >= 200 && res.status < 300 && res.body !== undefined) return res.body;
  if (res.status >= 200 && res.status < 300) return undefined as T;
  throw new KubeApiError(what, res);
}
