import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Runs `fn` over `items` with at most `limit` at a time; once `signal` aborts, starts no more. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && signal?.aborted !== true) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * `items.map(fn)`, yielding to the event loop (setImmediate) after every `batch` items, so that
 * building or starting thousands of actor instances never blocks a worker's loop in one piece:
 * timers, sockets and the interval reports run between the batches.
 */
export async function mapInBatches<T, R>(
  items: readonly T[],
  batch: number,
  fn: (item: T, index: number) => R,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i++) {
    out.push(fn(items[i]!, i));
    if ((i + 1) % batch === 0 && i + 1 < items.length) await yieldToLoop();
  }
  return out;
}
