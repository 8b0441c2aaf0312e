/**
 * A minimal loopback responder for `bench/kubelets.ts`, so that what is measured is the harness,
 * not an API server: it answers what simulated kubelets (and a run's set-up around them) send
 * with canned bodies, and holds watches open without a byte until their `timeoutSeconds`. It is
 * a bench fixture only: no test uses it, and it stands in for none of the API server's behaviour
 * (no admission, no APF, no storage, no watch events).
 *
 * - GET one object: 404 (a Lease is then created, a Node or Namespace was never there);
 * - GET a collection: an empty list at resourceVersion 1; with `watch=1`, a held stream;
 * - POST: 201 with the request's own body; PUT: 200 with it (a Lease renewal reads its answer);
 * - PATCH: 200 with a small canned object; DELETE: 200 with a Status;
 * - /version: a gitVersion; /metrics: this process's own `process_cpu_seconds_total`, as
 *   kube-apiserver exposes its own, so that the bench can set the harness against it.
 *
 * One listener speaks HTTP/1.1, a second cleartext HTTP/2 with prior knowledge (h2c), as
 * apfbench's h2 transport connects to an `http://` server. It prints `READY <http1> <h2>` once
 * both listen, and stops on SIGTERM.
 *
 * Usage: node --import tsx bench/kubelet-responder.ts
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

const JSON_HEADERS = { 'content-type': 'application/json' };
const VERSION = JSON.stringify({ major: '1', minor: '34', gitVersion: 'v1.34.0-responder' });
const EMPTY_LIST = JSON.stringify({
  kind: 'List',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: [],
});
const NOT_FOUND = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'NotFound',
  code: 404,
});
const SUCCESS = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
const PATCHED = JSON.stringify({
  kind: 'Node',
  apiVersion: 'v1',
  metadata: { name: 'patched', resourceVersion: '2' },
});

/** `/api/v1/namespaces/ns/pods/name` → is there a name after the resource? */
function namesAnObject(path: string): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  const afterNamespace = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  return afterNamespace.length >= 2;
}

/** Holds a watch open, sending nothing, until its timeoutSeconds or until the client goes. */
function holdWatch(query: URLSearchParams, res: Response): void {
  res.writeHead(200, { ...JSON_HEADERS, 'transfer-encoding': 'chunked' });
  // HTTP/1.1 sends the headers with the first chunk unless told to now.
  (res as ServerResponse).flushHeaders?.();
  const timeoutS = Number(query.get('timeoutSeconds') ?? '1800');
  const timer = setTimeout(() => res.end(), timeoutS * 1000);
  res.once('close', () => clearTimeout(timer));
}

function handle(req: Request, res: Response): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const send = (status: number, body: string | Buffer, headers = JSON_HEADERS) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  if (path === '/version') return send(200, VERSION);
  if (path === '/metrics') {
    const cpu = process.cpuUsage();
    return send(
      200,
      `# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\n`,
      { 'content-type': 'text/plain; version=0.0.4' },
    );
  }
  switch (req.method) {
    case 'GET':
      if (query.get('watch') === '1' || query.get('watch') === 'true') return holdWatch(query, res);
      return namesAnObject(path) ? send(404, NOT_FOUND) : send(200, EMPTY_LIST);
    case 'POST':
    case 'PUT': {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.once('end', () => send(req.method === 'POST' ? 201 : 200, Buffer.concat(chunks)));
      return;
    }
    case 'PATCH':
      req.resume();
      req.once('end', () => send(200, PATCHED));
      return;
    case 'DELETE':
      req.resume();
      req.once('end', () => send(200, SUCCESS));
      return;
    default:
      return send(405, SUCCESS);
  }
}

const http1 = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, handle);
// Thousands of held watches are thousands of sockets.
http1.maxConnections = Infinity;
const h2 = createH2Server({}, handle);

const listen = (server: {
  listen: (port: number, host: string, cb: () => void) => unknown;
  address: () => AddressInfo | string | null;
}) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

const [port1, port2] = [await listen(http1), await listen(h2)];
process.stdout.write(`READY http://127.0.0.1:${port1} http://127.0.0.1:${port2}\n`);
process.once('SIGTERM', () => {
  http1.closeAllConnections();
  http1.close();
  h2.close();
  process.exit(0);
});
