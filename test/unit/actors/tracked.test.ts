import { describe, expect, it } from 'vitest';
import { Tracked } from '../../../src/actors/tracked.js';
import { createRng } from '../../../src/timing/random.js';

/** What a Tracked holds, oldest first, in the array the tenant used to keep. */
function reference(capacity: number) {
  let items: [string, number][] = [];
  return {
    set(name: string, value: number) {
      const i = items.findIndex(([n]) => n === name);
      if (i >= 0) items[i] = [name, value];
      else {
        items.push([name, value]);
        if (items.length > capacity) items.shift();
      }
    },
    delete(name: string) {
      items = items.filter(([n]) => n !== name);
    },
    get items() {
      return items;
    },
  };
}

describe('Tracked', () => {
  it('holds what the array it replaces held, over random adds, updates and removals', () => {
    const capacity = 50;
    const t = new Tracked<number>(capacity);
    const ref = reference(capacity);
    const rng = createRng(9);
    const names = Array.from({ length: 200 }, (_, i) => `o-${i}`);
    for (let step = 0; step < 20_000; step++) {
      const name = names[rng.int(names.length)]!;
      if (rng.next() < 0.3) {
        t.delete(name);
        ref.delete(name);
      } else {
        t.set(name, step);
        ref.set(name, step);
      }
      expect(t.size).toBe(ref.items.length);
    }
    const held = new Map(ref.items);
    for (const name of names) expect(t.has(name)).toBe(held.has(name));
    const values = Array.from({ length: t.size }, (_, i) => t.pick(() => i));
    expect(values.sort((a, b) => a! - b!)).toEqual([...held.values()].sort((a, b) => a - b));
  });

  it('forgets the oldest past capacity; replacing an object does not make it younger', () => {
    const t = new Tracked<string>(3);
    t.set('a', 'a1');
    t.set('b', 'b1');
    t.set('c', 'c1');
    t.set('a', 'a2');
    t.delete('b');
    t.set('d', 'd1');
    t.set('e', 'e1');
    expect(['a', 'b', 'c', 'd', 'e'].filter((n) => t.has(n))).toEqual(['c', 'd', 'e']);
    expect(Array.from({ length: t.size }, (_, i) => t.pick(() => i)).sort()).toEqual([
      'c1',
      'd1',
      'e1',
    ]);
  });

  it('draws one integer below its size per pick, none when empty', () => {
    const t = new Tracked<number>(10);
    const draws: number[] = [];
    const int = (n: number) => (draws.push(n), n - 1);
    expect(t.pick(int)).toBeUndefined();
    expect(draws).toEqual([]);
    for (let i = 0; i < 4; i++) t.set(`o-${i}`, i);
    t.delete('o-1');
    t.delete('nothing');
    expect(t.pick(int)).toBeTypeOf('number');
    expect(draws).toEqual([3]);
  });

  it('picks every object about equally often with a seeded stream', () => {
    const t = new Tracked<number>(100);
    for (let i = 0; i < 20; i++) t.set(`o-${i}`, i);
    for (let i = 0; i < 20; i += 2) t.delete(`o-${i}`);
    const rng = createRng(1);
    const seen = new Map<number, number>();
    for (let k = 0; k < 10_000; k++) {
      const v = t.pick((n) => rng.int(n))!;
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    for (const n of seen.values()) expect(n).toBeGreaterThan(800);
  });
});
