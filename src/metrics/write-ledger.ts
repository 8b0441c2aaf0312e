/**
 * The write ledger: how watch latency and lost events are measured across worker threads.
 *
 * A writer that gets a successful response records the write's resourceVersion with its
 * acknowledgement time, its intended time and how many watchers should see it. A watcher that
 * receives an event looks the resourceVersion up and, when found, counts itself as one of those
 * watchers. etcd gives every write its own revision, so the resourceVersion alone is the key.
 *
 * The table lives in one SharedArrayBuffer, created by the coordinator and posted to every
 * worker (postMessage shares it, it does not copy it): fixed-capacity open addressing with linear
 * probing. A slot is claimed with `Atomics.compareExchange` on its key and published with an
 * `Atomics.store` of its state after its fields are written, so a reader that sees the state
 * published also sees the fields. Slots are never freed: capacity is sized for the run.
 *
 * A watcher that had to LIST again (after a 410) never receives the events between the last
 * resourceVersion it saw and the LIST's: their writes are covered by the LIST instead, which
 * shows every object of the watcher's set as it stood after them (the controllers never delete
 * their objects; a deleted one, absent from the LIST, would be covered too). The watcher hands
 * those ranges to `cover` once, at its end; a write counted there is `coveredByRelist`, not lost.
 *
 * All times are epoch milliseconds (`performance.timeOrigin + performance.now()`), the only
 * clock that agrees between threads.
 *
 * The buffer also holds a few plain shared counters that actors use as barriers (an object set
 * created, its watchers synced); see `counter` and `addCounter`.
 */

/** What a worker needs to attach to the coordinator's ledger (it crosses postMessage). */
export interface WriteLedgerShared {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly counterSlots: number;
}

/** A write a watcher's event was matched with. */
export interface LedgerWrite {
  readonly ackEpochMs: number;
  readonly intendedEpochMs: number;
}

/** What the ledger says once the run is over. */
export interface LedgerScan {
  /** Writes recorded (acknowledged). */
  readonly acknowledged: number;
  /** Σ expected watchers over acknowledged writes: the deliveries that should have happened. */
  readonly expectedDeliveries: number;
  /** Deliveries that happened as events (per write, at most its expected count). */
  readonly delivered: number;
  /** Expected deliveries that came as no event but whose write a watcher's relist LIST covered. */
  readonly coveredByRelist: number;
  /** Expected deliveries that came neither as an event nor in a later LIST: events lost. */
  readonly lost: number;
  /** Writes that could not be recorded because the table was full. */
  readonly overflow: number;
  /** The same, by the tag the writer gave (its actor group's index). */
  readonly byTag: ReadonlyMap<number, LedgerTagFigures>;
}

/** A `LedgerScan`'s figures for the writes of one tag. */
export interface LedgerTagFigures {
  acknowledged: number;
  expectedDeliveries: number;
  coveredByRelist: number;
  lost: number;
}

/**
 * Several ledgers' scans as one: each figure added, tag by tag. Exact for ledgers whose writers
 * and watchers never meet across them (a distributed run places each object set, its writers and
 * its watchers, on one agent), since every write is then counted in exactly one of them.
 */
export function mergeLedgerScans(scans: readonly LedgerScan[]): LedgerScan {
  const byTag = new Map<number, LedgerTagFigures>();
  const total = { acknowledged: 0, expectedDeliveries: 0, delivered: 0, coveredByRelist: 0 };
  let lost = 0;
  let overflow = 0;
  for (const s of scans) {
    total.acknowledged += s.acknowledged;
    total.expectedDeliveries += s.expectedDeliveries;
    total.delivered += s.delivered;
    total.coveredByRelist += s.coveredByRelist;
    lost += s.lost;
    overflow += s.overflow;
    for (const [tag, t] of s.byTag) {
      const into = byTag.get(tag) ?? {
        acknowledged: 0,
        expectedDeliveries: 0,
        coveredByRelist: 0,
        lost: 0,
      };
      into.acknowledged += t.acknowledged;
      into.expectedDeliveries += t.expectedDeliveries;
      into.coveredByRelist += t.coveredByRelist;
      into.lost += t.lost;
      byTag.set(tag, into);
    }
  }
  return { ...total, lost, overflow, byTag };
}

/** resourceVersions a watcher missed as events and saw in a relist: `after` < rv ≤ `upTo`. */
export interface RelistRange {
  readonly after: string;
  readonly upTo: string;
}

const HEADER_SLOTS = 4;
const OVERFLOW = 0;
const SIZE = 1;
const PUBLISHED = 1;
/** Int32 fields per slot, and their offsets. */
const INTS = 6;
const STATE = 0;
const EXPECTED = 1;
const SEEN = 2;
const TAG = 3;
const SET = 4;
const COVERED = 5;
/** key (8) + two times (16) + the ints. */
const SLOT_BYTES = 24 + 4 * INTS;
/** Above ~0.7 linear probing degrades; sizing aims at 0.5. */
const MAX_LOAD = 0.7;

/** The smallest power of two at least 2 × writes (load factor ≤ 0.5), at least 1024. */
export function ledgerCapacityFor(expectedWrites: number): number {
  const wanted = Math.max(1024, Math.ceil(expectedWrites * 2));
  return 2 ** Math.ceil(Math.log2(wanted));
}

export class WriteLedger {
  readonly capacity: number;
  readonly counterSlots: number;
  private readonly mask: number;
  /** resourceVersion per slot; 0 = empty (etcd revisions start at 1). */
  private readonly keys: BigInt64Array;
  /** [ack, intended] per slot. */
  private readonly times: Float64Array;
  /** [state, expected, seen, tag, set, covered] per slot. */
  private readonly ints: Int32Array;
  /** [overflow, ...reserved, ...counters]. */
  private readonly header: Int32Array;

  private constructor(readonly shared: WriteLedgerShared) {
    const { buffer, capacity, counterSlots } = shared;
    if (!(capacity > 0 && (capacity & (capacity - 1)) === 0)) {
      throw new RangeError(`ledger capacity must be a power of two, got ${capacity}`);
    }
    this.capacity = capacity;
    this.counterSlots = counterSlots;
    this.mask = capacity - 1;
    this.keys = new BigInt64Array(buffer, 0, capacity);
    this.times = new Float64Array(buffer, 8 * capacity, 2 * capacity);
    this.ints = new Int32Array(buffer, 24 * capacity, INTS * capacity);
    this.header = new Int32Array(buffer, SLOT_BYTES * capacity, HEADER_SLOTS + counterSlots);
  }

  /** A new, empty ledger (coordinator side). `capacity` is rounded up to a power of two. */
  static create(capacity: number, counterSlots = 0): WriteLedger {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    const bytes = SLOT_BYTES * cap + 4 * (HEADER_SLOTS + counterSlots);
    return new WriteLedger({ buffer: new SharedArrayBuffer(bytes), capacity: cap, counterSlots });
  }

  /** The coordinator's ledger, seen from a worker. */
  static attach(shared: WriteLedgerShared): WriteLedger {
    return new WriteLedger(shared);
  }

  /**
   * Records an acknowledged write, with the writer's `tag` (its group) and the object `set`
   * within it whose watchers should see it. Returns false when the resourceVersion is not a positive
   * integer, is already recorded, or the table is full (counted as overflow).
   */
  record(
    resourceVersion: string,
    ackEpochMs: number,
    intendedEpochMs: number,
    expectedWatchers: number,
    tag = 0,
    set = 0,
  ): boolean {
    const key = parseKey(resourceVersion);
    if (key === undefined) return false;
    // Reserve room first, so that the table never fills beyond MAX_LOAD and probes stay short.
    if (Atomics.add(this.header, SIZE, 1) >= Math.floor(this.capacity * MAX_LOAD)) {
      Atomics.sub(this.header, SIZE, 1);
      Atomics.add(this.header, OVERFLOW, 1);
      return false;
    }
    for (let i = this.slotOf(key); ; i = (i + 1) & this.mask) {
      const previous: bigint = Atomics.compareExchange(this.keys, i, 0n, key);
      if (previous === 0n) {
        this.times[2 * i] = ackEpochMs;
        this.times[2 * i + 1] = intendedEpochMs;
        const f = INTS * i;
        Atomics.store(this.ints, f + EXPECTED, expectedWatchers);
        Atomics.store(this.ints, f + TAG, tag);
        Atomics.store(this.ints, f + SET, set);
        Atomics.store(this.ints, f + STATE, PUBLISHED);
        return true;
      }
      if (previous === key) {
        Atomics.sub(this.header, SIZE, 1);
        return false;
      }
    }
  }

  /**
   * A watcher received the event of `resourceVersion`: counts the delivery and returns the
   * write's times, or undefined when no writer has recorded it (yet: see LedgerObserver).
   */
  observe(resourceVersion: string): LedgerWrite | undefined {
    const i = this.find(resourceVersion);
    if (i === undefined) return undefined;
    Atomics.add(this.ints, INTS * i + SEEN, 1);
    return { ackEpochMs: this.times[2 * i]!, intendedEpochMs: this.times[2 * i + 1]! };
  }

  /** The times of a recorded write, without counting a delivery. */
  peek(resourceVersion: string): LedgerWrite | undefined {
    const i = this.find(resourceVersion);
    if (i === undefined) return undefined;
    return { ackEpochMs: this.times[2 * i]!, intendedEpochMs: this.times[2 * i + 1]! };
  }

  /** Deliveries counted for a recorded write, or undefined. */
  seen(resourceVersion: string): number | undefined {
    const i = this.find(resourceVersion);
    return i === undefined ? undefined : Atomics.load(this.ints, INTS * i + SEEN);
  }

  /**
   * One watcher of `set` (of group `tag`) relisted: counts it as covering every recorded write of
   * that set whose resourceVersion lies in one of `ranges`. Walks the whole table, so a watcher
   * calls it once, at its end (when every write it could cover is recorded), with all its
   * ranges. Returns how many writes it covered.
   */
  cover(tag: number, set: number, ranges: readonly RelistRange[]): number {
    const bounds: [bigint, bigint][] = [];
    for (const r of ranges) {
      const after = parseKey(r.after);
      const upTo = parseKey(r.upTo);
      if (after !== undefined && upTo !== undefined && upTo > after) bounds.push([after, upTo]);
    }
    if (bounds.length === 0) return 0;
    let covered = 0;
    for (let i = 0; i < this.capacity; i++) {
      const f = INTS * i;
      if (Atomics.load(this.ints, f + STATE) !== PUBLISHED) continue;
      if (this.ints[f + TAG] !== tag || this.ints[f + SET] !== set) continue;
      const key = this.keys[i]!;
      if (bounds.some(([after, upTo]) => key > after && key <= upTo)) {
        Atomics.add(this.ints, f + COVERED, 1);
        covered++;
      }
    }
    return covered;
  }

  /** A shared counter (barriers between actor instances on different workers). */
  counter(slot: number): number {
    return Atomics.load(this.header, this.counterIndex(slot));
  }

  /** Adds to a shared counter; returns the new value. */
  addCounter(slot: number, by = 1): number {
    return Atomics.add(this.header, this.counterIndex(slot), by) + by;
  }

  /** Walks the whole table; call once every writer and watcher is done. */
  scan(): LedgerScan {
    let acknowledged = 0;
    let expectedDeliveries = 0;
    let delivered = 0;
    let coveredByRelist = 0;
    const byTag = new Map<number, LedgerTagFigures>();
    for (let i = 0; i < this.capacity; i++) {
      const f = INTS * i;
      if (Atomics.load(this.ints, f + STATE) !== PUBLISHED) continue;
      const expected = Atomics.load(this.ints, f + EXPECTED);
      const seen = Math.min(expected, Atomics.load(this.ints, f + SEEN));
      const relisted = Math.min(expected - seen, Atomics.load(this.ints, f + COVERED));
      const tag = Atomics.load(this.ints, f + TAG);
      acknowledged++;
      expectedDeliveries += expected;
      delivered += seen;
      coveredByRelist += relisted;
      let t = byTag.get(tag);
      if (t === undefined) {
        t = { acknowledged: 0, expectedDeliveries: 0, coveredByRelist: 0, lost: 0 };
        byTag.set(tag, t);
      }
      t.acknowledged++;
      t.expectedDeliveries += expected;
      t.coveredByRelist += relisted;
      t.lost += expected - seen - relisted;
    }
    return {
      acknowledged,
      expectedDeliveries,
      delivered,
      coveredByRelist,
      lost: expectedDeliveries - delivered - coveredByRelist,
      overflow: Atomics.load(this.header, OVERFLOW),
      byTag,
    };
  }

  private find(resourceVersion: string): number | undefined {
    const key = parseKey(resourceVersion);
    if (key === undefined) return undefined;
    for (let probe = 0, i = this.slotOf(key); probe < this.capacity; probe++) {
      const k = Atomics.load(this.keys, i);
      if (k === 0n) return undefined;
      // Claimed but not yet published: the writer is between its two steps; not known yet.
      if (k === key) return Atomics.load(this.ints, INTS * i + STATE) === PUBLISHED ? i : undefined;
      i = (i + 1) & this.mask;
    }
    return undefined;
  }

  private slotOf(key: bigint): number {
    const lo = Number(key & 0xffffffffn);
    const hi = Number((key >> 32n) & 0xffffffffn);
    return (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0) & this.mask;
  }

  private counterIndex(slot: number): number {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.counterSlots)) {
      throw new RangeError(`ledger counter ${slot} out of range [0, ${this.counterSlots})`);
    }
    return HEADER_SLOTS + slot;
  }
}

function parseKey(resourceVersion: string): bigint | undefined {
  if (!/^[1-9][0-9]{0,18}$/.test(resourceVersion)) return undefined;
  const key = BigInt(resourceVersion);
  return key <= 0x7fffffffffffffffn ? key : undefined;
}

/** An event matched with the write that caused it. */
export interface MatchedEvent extends LedgerWrite {
  readonly receivedEpochMs: number;
}

export interface LedgerObserverOptions {
  /** How long a receipt may wait for its writer to record the write. Default 5000. */
  readonly maxPendingMs?: number;
  /** At most this many receipts wait; the oldest is given up beyond it. Default 10000. */
  readonly maxPending?: number;
}

/**
 * One watcher's side of the ledger. An event can arrive before its writer has read the response
 * and recorded it (the server sends the event and the response at about the same time): such a
 * receipt waits here, with its receive time, and `poll` matches it later. A receipt that waits
 * longer than `maxPendingMs` is given up: a write apfbench does not track, or one whose writer
 * never saw its response.
 */
export class LedgerObserver {
  private readonly pending = new Map<string, number>();
  private readonly maxPendingMs: number;
  private readonly maxPending: number;

  constructor(
    private readonly ledger: WriteLedger,
    opts: LedgerObserverOptions = {},
  ) {
    this.maxPendingMs = opts.maxPendingMs ?? 5000;
    this.maxPending = opts.maxPending ?? 10_000;
  }

  get waiting(): number {
    return this.pending.size;
  }

  /**
   * An event arrived. Returns the match at once when the write is recorded; otherwise keeps the
   * receipt for `poll` and returns undefined. Also reports receipts given up to make room.
   */
  receive(
    resourceVersion: string,
    receivedEpochMs: number,
  ): { matched?: MatchedEvent; gaveUp: number } {
    const write = this.ledger.observe(resourceVersion);
    if (write !== undefined) return { matched: { ...write, receivedEpochMs }, gaveUp: 0 };
    let gaveUp = 0;
    if (!this.pending.has(resourceVersion)) {
      this.pending.set(resourceVersion, receivedEpochMs);
      // Map iteration is insertion order: the first key is the oldest receipt.
      while (this.pending.size > this.maxPending) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        gaveUp++;
      }
    }
    return { gaveUp };
  }

  /**
   * Matches waiting receipts whose writes are now recorded; gives up those older than the bound
   * (all of them with `final`).
   */
  poll(nowEpochMs: number, final = false): { matched: MatchedEvent[]; gaveUp: number } {
    const matched: MatchedEvent[] = [];
    let gaveUp = 0;
    for (const [rv, receivedEpochMs] of this.pending) {
      const write = this.ledger.observe(rv);
      if (write !== undefined) {
        matched.push({ ...write, receivedEpochMs });
        this.pending.delete(rv);
      } else if (final || nowEpochMs - receivedEpochMs > this.maxPendingMs) {
        this.pending.delete(rv);
        gaveUp++;
      }
    }
    return { matched, gaveUp };
  }
}
