/**
 * The price of one event-loop wake-up on this machine, for `bench/generator.ts`: a bare
 * `setInterval` of 1 ms and nothing else, so that the process sleeps between callbacks and every
 * callback is a wake-up. Its CPU per wake-up is the floor any sender pays each time it sleeps and
 * is woken (by a timer or by a response); the generator table charges each runner's wake-ups at
 * this price to show how much of its CPU is the cost of sleeping.
 *
 * Usage: node bench/wake-runner.ts [--duration 10] [--warmup 1]
 */
import { parseArgs } from 'node:util';
import { emitResult, measure, RUNNER_OPTIONS } from './runner-protocol.js';

// The runners' options, so that it is started like them; only --duration and --warmup count.
const { values } = parseArgs({ options: RUNNER_OPTIONS });

/** Ticks a 1 ms interval for `ms`; resolves with the number of callbacks. Bounded by `ms`. */
function tick(ms: number): Promise<number> {
  return new Promise((resolve) => {
    let callbacks = 0;
    const end = performance.now() + ms;
    const timer = setInterval(() => {
      callbacks++;
      if (performance.now() >= end) {
        clearInterval(timer);
        resolve(callbacks);
      }
    }, 1);
  });
}

async function main(): Promise<void> {
  const warmup = Number(values.warmup);
  if (warmup > 0) await tick(warmup * 1000);
  const { value: callbacks, figures } = await measure(() => tick(Number(values.duration) * 1000));
  emitResult({
    generator: 'node timer',
    mode: 'idle, 1 ms interval',
    requests: callbacks,
    errors: 0,
    ...figures,
  });
}

void main();
