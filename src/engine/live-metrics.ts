/**
 * `--metrics-addr`: the run's live figures (metrics/live-metrics.ts) on an HTTP endpoint for
 * Prometheus to scrape, and the measurement that feeds them from the coordinator's merges.
 */
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { ApfbenchError } from '../errors.js';
import { isLoopbackAddress } from '../kube/index.js';
import { LiveMetrics, type LiveRun } from '../metrics/live-metrics.js';
import type { Measurement } from './measurement.js';

/**
 * Adds no section to result.json: it only passes each worker report on to `live`, the figures
 * `--metrics-addr` serves (none without it).
 */
export function liveMetricsMeasurement(
  live: LiveMetrics | undefined,
  run: LiveRun,
): Measurement<Record<never, never>> {
  if (live === undefined) return { finish: () => Promise.resolve({}) };
  return {
    start: () => {
      live.startRun(run);
      return Promise.resolve();
    },
    interval: (report) =>
      live.add({
        workerIndex: report.workerIndex,
        snapshots: report.snapshots,
        loop: report.type === 'interval' ? report.loop : undefined,
      }),
    finish: () => Promise.resolve({}),
  };
}

export interface MetricsAddress {
  readonly host: string;
  /** 0: any free port (the bound one is in `MetricsEndpoint.url`). */
  readonly port: number;
}

/**
 * Parses `HOST:PORT` (`[::1]:PORT` for IPv6). A host that is not a loopback address is refused,
 * as load to one is, unless `allowRemote` (`--allow-remote`): the figures name the run's groups
 * and its scenario.
 */
export function parseMetricsAddress(value: string, allowRemote: boolean): MetricsAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !(port >= 0 && port <= 65535)) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      `--metrics-addr must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9464 (got ${value})`,
      { kind: 'invalid-input' },
    );
  }
  const loopback = host === 'localhost' || (isIP(host) !== 0 && isLoopbackAddress(host));
  if (!loopback && !allowRemote) {
    throw new ApfbenchError(
      'APFBENCH_REMOTE_METRICS',
      `refusing to serve metrics on ${host}: it is not a loopback address`,
      {
        kind: 'invalid-input',
        hint: 'use 127.0.0.1:PORT, or pass --allow-remote to serve them beyond this machine',
      },
    );
  }
  return { host, port };
}

/** The listening endpoint. */
export interface MetricsEndpoint {
  /** `http://HOST:PORT/metrics`, with the port actually bound. */
  readonly url: string;
  readonly live: LiveMetrics;
  close(): Promise<void>;
}

/**
 * Serves `live` on `GET /metrics` (and `/`) at `addr`.
 *
 * @throws ApfbenchError `APFBENCH_METRICS_LISTEN` when the address cannot be bound (in use, not
 *   this machine's).
 */
export async function serveLiveMetrics(
  addr: MetricsAddress,
  live = new LiveMetrics(),
): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404).end();
      return;
    }
    live.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': live.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await listen(server, addr);
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : addr.port;
  const host = isIP(addr.host) === 6 ? `[${addr.host}]` : addr.host;
  return {
    url: `http://${host}:${port}/metrics`,
    live,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A Prometheus server keeps its connection alive between scrapes.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, addr: MetricsAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(
        new ApfbenchError(
          'APFBENCH_METRICS_LISTEN',
          `cannot serve metrics on ${addr.host}:${addr.port}: ${cause.code ?? cause.message}`,
          { cause, hint: 'pick another port, or 0 for any free one' },
        ),
      ),
    );
    server.listen(addr.port, addr.host, () => resolve());
  });
}
