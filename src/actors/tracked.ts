/**
 * Objects an actor keeps track of by name, at most `capacity` of them: adding one past capacity
 * forgets the oldest (the first added of those still kept). Replacing a kept object keeps its age.
 */
export class Tracked<T> {
  private items: { readonly name: string; value: T }[] = [];

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  has(name: string): boolean {
    return this.items.some((o) => o.name === name);
  }

  /** Keeps `value` under `name`, in place of the one kept under that name if any. */
  set(name: string, value: T): void {
    const i = this.items.findIndex((o) => o.name === name);
    if (i >= 0) this.items[i]!.value = value;
    else {
      this.items.push({ name, value });
      if (this.items.length > this.capacity) this.items.shift();
    }
  }

  delete(name: string): void {
    this.items = this.items.filter((o) => o.name !== name);
  }

  /**
   * One kept object, uniformly at random: `int(n)` draws an integer in [0, n), called once, and
   * not at all when nothing is kept (then undefined).
   */
  pick(int: (n: number) => number): T | undefined {
    return this.items.length === 0 ? undefined : this.items[int(this.items.length)]!.value;
  }
}
