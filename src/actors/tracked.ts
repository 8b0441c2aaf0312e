/**
 * Objects an actor keeps track of by name, at most `capacity` of them: adding one past capacity
 * forgets the oldest (the first added of those still kept). Replacing a kept object keeps its age.
 * Every operation is O(1): a dense array for the random pick, and a map from name to place in it,
 * whose insertion order is the age order.
 */
export class Tracked<T> {
  /** Dense, so that a pick is one index; removal moves the last entry into the hole. */
  private readonly entries: { readonly name: string; value: T }[] = [];
  /** Name → index in `entries`. Moving an entry updates its key in place, which keeps its age. */
  private readonly places = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.length;
  }

  has(name: string): boolean {
    return this.places.has(name);
  }

  /** Keeps `value` under `name`, in place of the one kept under that name if any. */
  set(name: string, value: T): void {
    const i = this.places.get(name);
    if (i !== undefined) {
      this.entries[i]!.value = value;
      return;
    }
    this.places.set(name, this.entries.length);
    this.entries.push({ name, value });
    if (this.entries.length > this.capacity) this.delete(this.places.keys().next().value!);
  }

  delete(name: string): void {
    const i = this.places.get(name);
    if (i === undefined) return;
    this.places.delete(name);
    const last = this.entries.pop()!;
    if (i < this.entries.length) {
      this.entries[i] = last;
      this.places.set(last.name, i);
    }
  }

  /**
   * One kept object, uniformly at random: `int(n)` draws an integer in [0, n), called once, and
   * not at all when nothing is kept (then undefined). Which object an index names depends on
   * the adds and removals so far, not on age.
   */
  pick(int: (n: number) => number): T | undefined {
    return this.entries.length === 0 ? undefined : this.entries[int(this.entries.length)]!.value;
  }
}
