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
 * The node with the fewest pods taken and not released; among equals, the first in `nodes`.
 */
export class LeastLoaded implements Placement {
  private readonly nodes: readonly string[];
  private readonly load = new Map<string, number>();

  constructor(nodes: readonly string[]) {
    this.nodes = nodes;
    for (const n of nodes) this.load.set(n, 0);
  }

  take(): string {
    let best = this.nodes[0]!;
    for (const n of this.nodes) if (this.load.get(n)! < this.load.get(best)!) best = n;
    this.load.set(best, this.load.get(best)! + 1);
    return best;
  }

  release(node: string): void {
    const n = this.load.get(node);
    if (n !== undefined) this.load.set(node, n - 1);
  }

  /** Pods on `node` now. */
  count(node: string): number {
    return this.load.get(node) ?? 0;
  }
}
