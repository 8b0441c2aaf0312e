import { describe, expect, it } from 'vitest';
import { LeastLoaded, roundRobin } from '../../../src/actors/placement.js';
import { createRng } from '../../../src/timing/random.js';

/** The rule as the scheduler first wrote it: scan every node, keep the first with the fewest. */
function scanning(nodes: readonly string[]) {
  const load = new Map(nodes.map((n) => [n, 0]));
  return {
    take() {
      let best = nodes[0]!;
      for (const n of nodes) if (load.get(n)! < load.get(best)!) best = n;
      load.set(best, load.get(best)! + 1);
      return best;
    },
    release(n: string) {
      load.set(n, load.get(n)! - 1);
    },
  };
}

describe('LeastLoaded', () => {
  it('fills nodes in order, one pod each, before any gets a second', () => {
    const p = new LeastLoaded(['a', 'b', 'c']);
    expect(Array.from({ length: 7 }, () => p.take())).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect([p.count('a'), p.count('b'), p.count('c')]).toEqual([3, 2, 2]);
  });

  it('gives a released slot back first, and the first node among equals', () => {
    const p = new LeastLoaded(['a', 'b', 'c']);
    for (let i = 0; i < 6; i++) p.take();
    p.release('c');
    expect(p.take()).toBe('c');
    p.release('c');
    p.release('b');
    expect(p.take()).toBe('b');
    expect(p.take()).toBe('c');
    expect(p.count('nowhere')).toBe(0);
    p.release('nowhere');
  });

  it.each([1, 2, 7, 100, 2000])(
    'picks exactly what a scan of %i nodes picks, over random takes and releases',
    (count) => {
      const nodes = Array.from({ length: count }, (_, i) => `node-${i}`);
      const heap = new LeastLoaded(nodes);
      const scan = scanning(nodes);
      const rng = createRng(count);
      const taken: string[] = [];
      for (let step = 0; step < 5000; step++) {
        if (taken.length > 0 && rng.next() < 0.3) {
          const [node] = taken.splice(rng.int(taken.length), 1);
          heap.release(node!);
          scan.release(node!);
        } else {
          const node = heap.take();
          expect(node).toBe(scan.take());
          taken.push(node);
        }
      }
    },
  );

  it('counts a node listed twice as one, at its first place', () => {
    const p = new LeastLoaded(['a', 'b', 'a', 'c']);
    expect(Array.from({ length: 4 }, () => p.take())).toEqual(['a', 'b', 'c', 'a']);
  });

  it('refuses an empty node list', () => {
    expect(() => new LeastLoaded([])).toThrow(RangeError);
  });
});

describe('roundRobin', () => {
  it('takes each node in turn, whatever was released', () => {
    const p = roundRobin(['a', 'b']);
    p.release('a');
    expect([p.take(), p.take(), p.take()]).toEqual(['a', 'b', 'a']);
  });
});
