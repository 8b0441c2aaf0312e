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
