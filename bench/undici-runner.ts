/**
 * A diagnostic floor, not a competitor: undici's `Pool.dispatch` with a handler that only counts,
 * no recording. Without `--rate`, closed loop at full speed: the gap between this and apfbench's
 * `max` row is what apfbench adds on top of its HTTP client; the gap between this and autocannon
 * is the HTTP client itself. With `--rate N`, paced open loop at N/s with the least work a paced
 * sender can do (one timer per wake-up, rounded up to whole ms, every due send fired, a send
 * over `connections` in flight dropped): the gap between this and apfbench's `rate N/s` row is
 * what apfbench adds to paced sending; the gap to autocannon is the price of pacing itself.
 *
 * Usage: node bench/undici-runner.ts --url http://127.0.0.1:PORT [--duration 10]
 *        [--connections 32] [--warmup 1] [--rate N]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { emitResult, measure, REQUEST_PATH, RUNNER_OPTIONS } from './runner-protocol.js';

const { values } = parseArgs({
  options: RUNNER_OPTIONS,
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

/** Paced open loop: send k at `start + k × 1000 / rate`, fired at the first wake-up after it. */
async function runPaced(
  pool: Pool,
  ms: number,
  rate: number,
): Promise<{ ok: number; errors: number }> {
  const gapMs = 1000 / rate;
  const start = performance.now();
  const counts = { ok: 0, errors: 0 };
  const options: Dispatcher.DispatchOptions = {
    method: 'GET',
    path: REQUEST_PATH,
    headers: { accept: 'application/json' },
  };
  let inFlight = 0;
  let k = 0;
  const handler = () => {
    let status = 0;
    return {
      onRequestStart: () => undefined,
      onResponseStart: (_c: unknown, statusCode: number) => void (status = statusCode),
      onResponseData: () => undefined,
      onResponseEnd: () => {
        inFlight--;
        if (status >= 200 && status < 300) counts.ok++;
        else counts.errors++;
      },
      onResponseError: () => {
        inFlight--;
        counts.errors++;
      },
    } satisfies Dispatcher.DispatchHandler;
  };
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      for (; start + k * gapMs <= now && k * gapMs < ms; k++) {
        if (inFlight >= connections) continue; // dropped
        inFlight++;
        pool.dispatch(options, handler());
      }
      if (k * gapMs >= ms) return resolve();
      setTimeout(tick, Math.ceil(start + k * gapMs - performance.now()));
    };
    tick();
  });
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
  return counts;
}

async function main(): Promise<void> {
  const pool = new Pool(url!, { connections, keepAliveTimeout: 30_000 });
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  const go = (ms: number) => (rate === undefined ? run(pool, ms) : runPaced(pool, ms, rate));
  const warmup = Number(values.warmup);
  if (warmup > 0) await go(warmup * 1000);
  const { value: counts, figures } = await measure(() => go(Number(values.duration) * 1000));
  await pool.close();
  emitResult({
    generator: 'undici',
    mode: rate === undefined ? 'max' : `rate ${rate}/s`,
    requests: counts.ok,
    errors: counts.errors,
    ...figures,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`undici-runner: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
