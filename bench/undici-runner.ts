/**
 * A diagnostic floor, not a competitor: undici's `Pool.dispatch` driven closed-loop at full speed
 * with a handler that only counts, no scheduling and no recording. The gap between this and
 * apfbench's `max` row is what apfbench adds on top of its HTTP client; the gap between this and
 * autocannon is the HTTP client itself.
 *
 * Usage: node bench/undici-runner.ts --url http://127.0.0.1:PORT [--duration 10]
 *        [--connections 32] [--warmup 1]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { cpuMsSince, emitResult, REQUEST_PATH } from './runner-protocol.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '1' },
  },
});
const url = values.url;
if (url === undefined) {
  process.stderr.write('undici-runner: --url is required\n');
  process.exit(2);
}
const connections = Number(values.connections);

/** `connections` lanes, each sending its next request when the previous one ends, until `ms`. */
async function run(pool: Pool, ms: number): Promise<{ ok: number; errors: number }> {
  const deadline = performance.now() + ms;
  const counts = { ok: 0, errors: 0 };
  const options: Dispatcher.DispatchOptions = {
    method: 'GET',
    path: REQUEST_PATH,
    headers: { accept: 'application/json' },
  };
  const lane = () =>
    new Promise<void>((resolve) => {
      const next = (): void => {
        if (performance.now() >= deadline) return resolve();
        let status = 0;
        pool.dispatch(options, {
          onRequestStart: () => undefined,
          onResponseStart: (_c, statusCode) => void (status = statusCode),
          onResponseData: () => undefined,
          onResponseEnd: () => {
            if (status >= 200 && status < 300) counts.ok++;
            else counts.errors++;
            next();
          },
          onResponseError: () => {
            counts.errors++;
            next();
          },
        });
      };
      next();
    });
  await Promise.all(Array.from({ length: connections }, lane));
  return counts;
}

async function main(): Promise<void> {
  const pool = new Pool(url!, { connections, keepAliveTimeout: 30_000 });
  const warmup = Number(values.warmup);
  if (warmup > 0) await run(pool, warmup * 1000);
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  const counts = await run(pool, Number(values.duration) * 1000);
  const cpu = cpuMsSince(cpuStart);
  const wallMs = performance.now() - t0;
  await pool.close();
  emitResult({
    generator: 'undici',
    mode: 'max',
    requests: counts.ok,
    errors: counts.errors,
    ...cpu,
    wallMs,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`undici-runner: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
