/**
 * One autocannon run in its own process, for `bench/generator.ts`: paced with `overallRate`, or
 * at full speed (`--mode max`). autocannon runs in this process's main thread (no `workers`), as
 * apfbench's runner does, and records every response into its own HDR histograms.
 *
 * Usage: node --import tsx bench/autocannon-runner.ts --url http://127.0.0.1:PORT
 *        [--rate 2000 | --mode max] [--duration 10] [--connections 32] [--warmup 1]
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { emitResult, measure, REQUEST_PATH, RUNNER_OPTIONS } from './runner-protocol.js';

const { values } = parseArgs({
  options: RUNNER_OPTIONS,
});
const max = values.mode === 'max';
const rate = Number(values.rate);
if (!max && !(rate > 0)) fail(`--rate must be a number > 0 (got ${values.rate})`);
if (values.url === undefined) fail('--url is required');

function options(durationS: number): autocannon.Options {
  return {
    url: `${values.url}${REQUEST_PATH}`,
    connections: Number(values.connections),
    duration: durationS,
    headers: { accept: 'application/json' },
    ...(max ? {} : { overallRate: rate }),
  };
}

async function main(): Promise<void> {
  const warmup = Number(values.warmup);
  if (warmup > 0) await autocannon(options(warmup));
  const { value: r, figures } = await measure(() => autocannon(options(Number(values.duration))));
  emitResult({
    generator: 'autocannon',
    mode: max ? 'max' : `rate ${rate}/s`,
    requests: r['2xx'],
    errors: r.non2xx + r.errors + r.timeouts,
    ...figures,
  });
}

function fail(message: string): never {
  process.stderr.write(`autocannon-runner: ${message}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`autocannon-runner: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
