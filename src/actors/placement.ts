/** Where a scheduler binds pods: `take` picks a node for one pod, `release` undoes a failed one. */
export interface Placement {
  take(): string;
  release(node: string): void;
}

/** Each node in turn. */
export function roundRobin(nodes: readonly string[]): Placement {
  let next = 0;
  return { take: () => nodes[next++ % nodes.length]!, release: () => {} };
}

/**
 * The node with the fewest pods taken and not released; among equals, the first in `nodes` (a
 * name listed twice is one node, at its first place). An indexed binary min-heap ordered by
 * (load, place): `take` is O(1) to find and O(log n) to count, `release` O(log n), where a scan
 * of every node per binding cost O(n).
 */
export class LeastLoaded implements Placement {
  private readonly names: string[] = [];
  private readonly places = new Map<string, number>();
  /** Pods per node, by place. */
  private readonly load: number[];
  /** Places, as a heap: `heap[0]` is the least loaded. */
  private readonly heap: number[];
  /** Place → its index in `heap`. */
  private readonly at: number[];

  constructor(nodes: readonly string[]) {
    for (const n of nodes) {
      if (!this.places.has(n)) this.places.set(n, this.names.push(n) - 1);
    }
    if (this.names.length === 0) throw new RangeError('least-loaded placement needs a node');
    // All loads 0: places in order already form a heap.
    this.load = this.names.map(() => 0);
    this.heap = this.names.map((_, i) => i);
    this.at = this.names.map((_, i) => i);
  }

  take(): string {
    const i = this.heap[0]!;
    this.load[i]!++;
    this.down(0);
    return this.names[i]!;
  }

  release(node: string): void {
    const i = this.places.get(node);
    if (i === undefined) return;
    this.load[i]!--;
    this.up(this.at[i]!);
  }

  /** Pods on `node` now. */
  count(node: string): number {
    const i = this.places.get(node);
    return i === undefined ? 0 : this.load[i]!;
  }

  private before(a: number, b: number): boolean {
    const la = this.load[a]!;
    const lb = this.load[b]!;
    return la < lb || (la === lb && a < b);
  }

  private swap(h: number, k: number): void {
    const a = this.heap[h]!;
    const b = this.heap[k]!;
    this.heap[h] = b;
    this.heap[k] = a;
    this.at[b] = h;
    this.at[a] = k;
  }

  private up(h: number): void {
    while (h > 0) {
      const parent = (h - 1) >> 1;
      if (!this.before(this.heap[h]!, this.heap[parent]!)) return;
      this.swap(h, parent);
      h = parent;
    }
  }

  private down(h: number): void {
    for (;;) {
      const left = 2 * h + 1;
      if (left >= this.heap.length) return;
      const right = left + 1;
      const child =
        right < this.heap.length && this.before(this.heap[right]!, this.heap[left]!) ? right : left;
      if (!this.before(this.heap[child]!, this.heap[h]!)) return;
      this.swap(h, child);
      h = child;
    }
  }
}
