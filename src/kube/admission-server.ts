// The HTTPS server that answers the API server's admission webhook calls for the webhooks a
// scenario declares (spec.webhooks): AdmissionReview v1 in, AdmissionReview v1 out, after the
// delay each call is given. It listens on loopback only; the API server reaches it through the
// `url` of a Validating- or MutatingWebhookConfiguration whose `caBundle` is the CA that signed
// `tls.cert` (engine/webhooks.ts registers them).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** How one webhook answers. Called once per call; must not throw. */
export interface AdmissionBehaviour {
  /** A mutating webhook answers with a JSON patch that adds an annotation. */
  readonly mutating: boolean;
  /** How long to hold this call before answering, ms. */
  readonly delayMs: () => number;
  /** Answer this call with HTTP 500 (the configuration's failurePolicy then decides). */
  readonly fail: () => boolean;
}

/**
 * - `allowed`: answered, allowing the request (a mutating webhook with its patch);
 * - `failed`: answered with HTTP 500, as `fail` asked;
 * - `abandoned`: the API server closed the call before the answer (its timeoutSeconds ran out);
 * - `bad-request`: not an AdmissionReview, or a path that names no webhook (HTTP 400 or 404).
 */
export type AdmissionOutcome = 'allowed' | 'failed' | 'abandoned' | 'bad-request';

/** One call, as the webhook saw it. */
export interface AdmissionCall {
  /** The webhook's name, from the path it was called on. */
  readonly webhook: string;
  /** CREATE, UPDATE, DELETE or CONNECT; '' when the body was not an AdmissionReview. */
  readonly operation: string;
  /** A dry-run request: apfbench's own readiness probe, answered at once. */
  readonly dryRun: boolean;
  /** From the call's arrival to its answer (or to the API server closing it), ms. */
  readonly heldMs: number;
  readonly outcome: AdmissionOutcome;
}

export interface AdmissionServer {
  /** The URL the API server calls for `webhook`. */
  url(webhook: string): string;
  /** Stops listening, drops the calls still held (unanswered), closes every connection. */
  close(): Promise<void>;
}

/** The annotation a mutating webhook of apfbench adds to every object it admits. */
export const MUTATED_ANNOTATION = 'apfbench.dev/mutated-by';

/** The path a webhook is served on. */
export const webhookPath = (webhook: string) => `/webhooks/${encodeURIComponent(webhook)}`;

const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

interface AdmissionRequest {
  readonly uid: string;
  readonly operation: string;
  readonly dryRun: boolean;
  readonly hasAnnotations: boolean;
}

/** The fields of an AdmissionReview v1 request that the answer needs; undefined when it is none. */
export function admissionRequestOf(body: unknown): AdmissionRequest | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const request = (body as { request?: unknown }).request;
  if (typeof request !== 'object' || request === null) return undefined;
  const r = request as {
    uid?: unknown;
    operation?: unknown;
    dryRun?: unknown;
    object?: { metadata?: { annotations?: unknown } } | null;
  };
  if (typeof r.uid !== 'string') return undefined;
  const annotations = r.object?.metadata?.annotations;
  return {
    uid: r.uid,
    operation: typeof r.operation === 'string' ? r.operation : '',
    dryRun: r.dryRun === true,
    hasAnnotations: typeof annotations === 'object' && annotations !== null,
  };
}

/** The AdmissionReview that answers `request`: allowed, with the annotation patch if mutating. */
export function admissionResponse(
  request: AdmissionRequest,
  webhook: string,
  mutating: boolean,
): object {
  const key = MUTATED_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1');
  const patch =
    !mutating || request.operation === 'DELETE' || request.operation === 'CONNECT'
      ? undefined
      : request.hasAnnotations
        ? [{ op: 'add', path: `/metadata/annotations/${key}`, value: webhook }]
        : [{ op: 'add', path: '/metadata/annotations', value: { [MUTATED_ANNOTATION]: webhook } }];
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: request.uid,
      allowed: true,
      ...(patch === undefined
        ? {}
        : {
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          }),
    },
  };
}

/** Listens on 127.0.0.1 on a free port; `onCall` hears every call once it is over. */
export async function startAdmissionServer(opts: {
  readonly tls: { readonly key: string; readonly cert: string };
  readonly webhooks: ReadonlyMap<string, AdmissionBehaviour>;
  readonly onCall: (call: AdmissionCall) => void;
}): Promise<AdmissionServer> {
  const held = new Set<NodeJS.Timeout>();
  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    const arrived = performance.now();
    const done = (webhook: string, operation: string, dryRun: boolean, outcome: AdmissionOutcome) =>
      opts.onCall({ webhook, operation, dryRun, heldMs: performance.now() - arrived, outcome });
    void answer(req, res, opts.webhooks, held, done);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (webhook) => `https://127.0.0.1:${port}${webhookPath(webhook)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of held) clearTimeout(t);
        held.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REVIEW_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  webhooks: ReadonlyMap<string, AdmissionBehaviour>,
  held: Set<NodeJS.Timeout>,
  done: (webhook: string, operation: string, dryRun: boolean, outcome: AdmissionOutcome) => void,
): Promise<void> {
  const prefix = webhookPath('');
  // The API server adds its timeout as a query (`?timeout=10s`).
  const path = (req.url ?? '').split('?')[0]!;
  const webhook = path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : '';
  const behaviour = webhooks.get(webhook);
  const text = await readBody(req).catch(() => undefined);
  let body: unknown;
  try {
    body = text === undefined ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const request = admissionRequestOf(body);
  if (behaviour === undefined || request === undefined || req.method !== 'POST') {
    res.writeHead(behaviour === undefined ? 404 : 400, { 'content-type': 'text/plain' });
    res.end(behaviour === undefined ? 'no such webhook\n' : 'expected an AdmissionReview\n');
    done(webhook, request?.operation ?? '', request?.dryRun ?? false, 'bad-request');
    return;
  }
  const reply = () => {
    if (behaviour.fail() && !request.dryRun) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('apfbench: failure injected by spec.webhooks[].failureRatio\n');
      done(webhook, request.operation, request.dryRun, 'failed');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(admissionResponse(request, webhook, behaviour.mutating)));
    done(webhook, request.operation, request.dryRun, 'allowed');
  };
  // A probe is answered at once: it only tells that the API server calls the webhook.
  const delay = request.dryRun ? 0 : behaviour.delayMs();
  if (delay <= 0) {
    reply();
    return;
  }
  const timer = setTimeout(() => {
    held.delete(timer);
    res.off('close', onClose);
    if (!res.destroyed) reply();
  }, delay);
  held.add(timer);
  // The API server gave up (timeoutSeconds) and closed the call before the answer.
  const onClose = () => {
    if (res.writableEnded) return;
    clearTimeout(timer);
    held.delete(timer);
    done(webhook, request.operation, request.dryRun, 'abandoned');
  };
  res.on('close', onClose);
}
