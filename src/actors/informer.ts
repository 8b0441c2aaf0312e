import type { KubeObject, KubeStatus, ReceivedEvent, Resource } from '../kube/index.js';
import type { RetryPolicy } from '../scenario/index.js';
import type { ActorContext } from './actor.js';
import { sendRecorded } from './send.js';

/** Counter names of informer-like watchers (controller, scheduler), summed per group. */
export const WatchMetric = {
  /** ADDED / MODIFIED / DELETED events received. */
  events: 'watch.events',
  bookmarks: 'watch.bookmarks',
  /** Watches opened after the first one, for any reason (server timeout, drop, relist). */
  restarts: 'watch.restarts',
  /** LISTs after a 410 (resourceVersion too old). */
  relists: 'watch.relists',
  /** Watch requests that failed to open or were refused (not 410). */
  failures: 'watch.failures',
} as const;

export interface InformerOptions {
  readonly resource: Resource;
  readonly namespace: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** LIST page size (`limit`). */
  readonly pageSize: number;
  /** Server-side `timeoutSeconds` of each watch, in ms. */
  readonly watchTimeoutMs: number;
  readonly retry?: RetryPolicy | undefined;
  /** Called for every ADDED / MODIFIED / DELETED event after the cache took it. Must not block. */
  readonly onEvent?: (event: ReceivedEvent) => void;
  /**
   * Called after a relist (a LIST after a 410) succeeded: the events after `after` never came,
   * and the LIST at `upTo` showed their objects' state instead.
   */
  readonly onRelist?: (range: { after: string; upTo: string }) => void;
}

/** Waits between failed LISTs or watch opens: 1 s doubling to 8 s, as a reflector backs off. */
const BACKOFF_MS = [1000, 2000, 4000, 8000] as const;

/**
 * A client-go-like informer: LIST (paginated), then WATCH from the list's resourceVersion with
 * bookmarks, keeping a cache by name. A watch that ends (server timeout, dropped connection,
 * API server restart) is reopened from the last resourceVersion seen, which bookmarks advance;
 * a 410 makes it LIST again. Every LIST page is a recorded request; watches are counted.
 */
export class Informer {
  readonly cache = new Map<string, KubeObject>();
  resourceVersion = '';
  private failures = 0;

  constructor(
    private readonly ctx: ActorContext,
    private readonly opts: InformerOptions,
  ) {}

  /** LISTs every page into a fresh cache. Retries (with backoff) until it succeeds or `signal` aborts. */
  async list(signal: AbortSignal): Promise<boolean> {
    const { ctx, opts } = this;
    while (!signal.aborted) {
      const items: KubeObject[] = [];
      let cont: string | undefined;
      let rv: string | undefined;
      let failed = false;
      do {
        const res = await sendRecorded(ctx, {
          verb: 'list',
          resource: opts.resource.plural,
          intendedMs: ctx.clock.now() - ctx.originMs,
          retry: opts.retry,
          attempt: () =>
            ctx.client.list(opts.resource, {
              namespace: opts.namespace,
              limit: opts.pageSize,
              continue: cont,
              labelSelector: opts.labelSelector,
              fieldSelector: opts.fieldSelector,
              signal,
            }),
        });
        if (res.status !== 200 || res.body === undefined) {
          failed = true;
          break;
        }
        items.push(...res.body.items);
        rv = res.body.metadata.resourceVersion;
        cont = res.body.metadata.continue;
      } while (cont !== undefined && cont !== '');
      if (!failed && rv !== undefined) {
        this.cache.clear();
        for (const item of items) {
          if (item.metadata.name !== undefined) this.cache.set(item.metadata.name, item);
        }
        this.resourceVersion = rv;
        this.failures = 0;
        return true;
      }
      await this.backoff(signal);
    }
    return false;
  }

  /** Watches (and relists when needed) until `signal` aborts. Never rejects. */
  async watch(signal: AbortSignal): Promise<void> {
    const { ctx, opts } = this;
    let opened = 0;
    while (!signal.aborted) {
      if (opened++ > 0) ctx.collector.count(WatchMetric.restarts);
      let relist = false;
      try {
        const stream = await ctx.client.watch(opts.resource, {
          namespace: opts.namespace,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          timeoutSeconds: Math.max(1, Math.round(opts.watchTimeoutMs / 1000)),
          signal,
        });
        let refused = false;
        for await (const ev of stream) {
          if (ev.type === 'ERROR') {
            const status = ev.object as unknown as KubeStatus;
            if (status.code === 410) relist = true;
            else refused = true;
            break;
          }
          this.failures = 0;
          const rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') {
            ctx.collector.count(WatchMetric.bookmarks);
          } else {
            ctx.collector.count(WatchMetric.events);
            const name = ev.object.metadata.name;
            if (name !== undefined) {
              if (ev.type === 'DELETED') this.cache.delete(name);
              else this.cache.set(name, ev.object);
            }
            opts.onEvent?.(ev);
          }
          if (rv !== undefined && rv !== '') this.resourceVersion = rv;
        }
        stream.close();
        if (refused) {
          ctx.collector.count(WatchMetric.failures);
          await this.backoff(signal);
        }
      } catch {
        // Connection refused or reset: the API server is away; come back from where we were.
        if (signal.aborted) break;
        ctx.collector.count(WatchMetric.failures);
        await this.backoff(signal);
      }
      if (relist && !signal.aborted) {
        ctx.collector.count(WatchMetric.relists);
        const after = this.resourceVersion;
        if (await this.list(signal)) opts.onRelist?.({ after, upTo: this.resourceVersion });
      }
    }
  }

  private async backoff(signal: AbortSignal): Promise<void> {
    const ms = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)]!;
    await this.ctx.clock.sleepUntil(
      this.ctx.clock.now() + ms * (1 + 0.1 * this.ctx.rng.next()),
      signal,
    );
  }
}
