import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { STOPPED, whenAborted } from '../errors.js';
import type { KubeObject, WatchEvent } from './objects.js';
import { resourcePath, withQuery, type Resource } from './resources.js';
import type { Identity } from './target.js';
import type { Transport } from './transport.js';

export interface WatchOptions {
  namespace?: string | undefined;
  resourceVersion?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  allowWatchBookmarks?: boolean | undefined;
  /** Server-side timeout; the server ends the stream after it (client-go picks 5–10 min). */
  timeoutSeconds?: number | undefined;
  /** Client-side: fail the stream after this long with no bytes at all (0 = never). */
  idleTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A received event with the local time it was fully read, for watch latency. */
export interface ReceivedEvent<T extends KubeObject = KubeObject> extends WatchEvent<T> {
  readonly receivedAt: number;
}

/**
 * One open watch. Iterate it for events; the iteration ends when the server
 * closes the stream (timeoutSeconds), on `close()`, or on abort. A watch the
 * server refused outright (for example 410 before the stream started) yields
 * a single ERROR event carrying the Status, so callers handle one shape.
 */
export interface WatchStream<T extends KubeObject = KubeObject> extends AsyncIterable<
  ReceivedEvent<T>
> {
  readonly status: number;
  readonly flowSchemaUID: string | undefined;
  readonly priorityLevelUID: string | undefined;
  close(): void;
}

export async function openWatch<T extends KubeObject>(
  transport: Transport,
  identity: Identity,
  r: Resource,
  opts: WatchOptions,
): Promise<WatchStream<T>> {
  const path = withQuery(resourcePath(r, { namespace: opts.namespace }), {
    watch: 1,
    resourceVersion: opts.resourceVersion,
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    allowWatchBookmarks: opts.allowWatchBookmarks,
    timeoutSeconds: opts.timeoutSeconds,
  });
  const controller = new AbortController();
  // A signal that has already aborted aborts the request before it is sent.
  const stopListening =
    opts.signal === undefined
      ? () => {}
      : whenAborted(opts.signal, () => controller.abort(STOPPED));
  const res = await transport
    .stream(path, identity, controller.signal, opts.idleTimeoutMs ?? 0)
    .catch((err: unknown) => {
      // A failed attempt must not leave a listener on the run's signal: watches retry.
      stopListening();
      throw err;
    });
  const close = () => {
    stopListening();
    if (!controller.signal.aborted) controller.abort(STOPPED);
  };
  const events =
    res.statusCode === 200
      ? readEvents<T>(res.body, close)
      : refusedWatch<T>(res.statusCode, res.body, close);
  return {
    status: res.statusCode,
    flowSchemaUID: res.header('x-kubernetes-pf-flowschema-uid'),
    priorityLevelUID: res.header('x-kubernetes-pf-prioritylevel-uid'),
    close,
    [Symbol.asyncIterator]: () => events,
  };
}

/** Newline-delimited JSON watch events. Abort and server close both end it quietly. */
export async function* readEvents<T extends KubeObject>(
  body: Readable,
  close: () => void,
): AsyncGenerator<ReceivedEvent<T>> {
  let buffered = '';
  // A character split between two chunks must not be decoded half by half.
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of body) {
      buffered += decoder.write(chunk as Buffer);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        yield { ...event, receivedAt: performance.now() };
      }
    }
  } catch (err) {
    if (!isAbort(err)) throw err;
  } finally {
    close();
  }
}

async function* refusedWatch<T extends KubeObject>(
  statusCode: number,
  body: Readable,
  close: () => void,
): AsyncGenerator<ReceivedEvent<T>> {
  let text = '';
  try {
    for await (const chunk of body) text += (chunk as Buffer).toString('utf8');
  } finally {
    close();
  }
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch {
    object = { kind: 'Status', code: statusCode, message: text };
  }
  yield { type: 'ERROR', object: object as T, receivedAt: performance.now() };
}

function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || e.code === 'ABORT_ERR';
}
