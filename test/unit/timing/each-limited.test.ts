import { describe, expect, it } from 'vitest';
import { mapInBatches } from '../../../src/timing/each-limited.js';

describe('mapInBatches', () => {
  it('maps every item in order, with its index', async () => {
    expect(await mapInBatches(['a', 'b', 'c', 'd', 'e'], 2, (x, i) => `${x}${i}`)).toEqual([
      'a0',
      'b1',
      'c2',
      'd3',
      'e4',
    ]);
  });

  it('lets the event loop run between batches, never inside one', async () => {
    const seen: string[] = [];
    // A macrotask queued before: it runs at the first yield, after the first batch.
    const other = new Promise<void>((resolve) =>
      setImmediate(() => {
        seen.push('loop');
        resolve();
      }),
    );
    await mapInBatches([1, 2, 3, 4, 5], 2, (x) => seen.push(`item ${x}`));
    await other;
    expect(seen).toEqual(['item 1', 'item 2', 'loop', 'item 3', 'item 4', 'item 5']);
  });

  it('does not yield after the last batch', async () => {
    const seen: string[] = [];
    setImmediate(() => seen.push('loop'));
    await mapInBatches([1, 2], 2, (x) => seen.push(`item ${x}`));
    expect(seen).toEqual(['item 1', 'item 2']);
  });
});
