import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  LedgerObserver,
  WriteLedger,
  ledgerCapacityFor,
  type WriteLedgerShared,
} from '../../../src/metrics/write-ledger.js';

describe('WriteLedger', () => {
  it('records writes and counts the deliveries of each', () => {
    const ledger = WriteLedger.create(16);
    expect(ledger.record('101', 1000.5, 990, 3, 0)).toBe(true);
    expect(ledger.record('102', 2000, 1990, 2, 1)).toBe(true);
    expect(ledger.observe('101')).toEqual({ ackEpochMs: 1000.5, intendedEpochMs: 990 });
    expect(ledger.observe('101')).toEqual({ ackEpochMs: 1000.5, intendedEpochMs: 990 });
    expect(ledger.observe('102')).toEqual({ ackEpochMs: 2000, intendedEpochMs: 1990 });
    expect(ledger.observe('102')).toEqual({ ackEpochMs: 2000, intendedEpochMs: 1990 });
    expect(ledger.observe('999')).toBeUndefined();
    const scan = ledger.scan();
    expect(scan).toMatchObject({
      acknowledged: 2,
      expectedDeliveries: 5,
      delivered: 4,
      lost: 1,
      overflow: 0,
    });
    expect(scan.byTag.get(0)).toEqual({
      acknowledged: 1,
      expectedDeliveries: 3,
      coveredByRelist: 0,
      lost: 1,
    });
    expect(scan.byTag.get(1)).toEqual({
      acknowledged: 1,
      expectedDeliveries: 2,
      coveredByRelist: 0,
      lost: 0,
    });
  });

  it("counts a relist's range as covering its set's writes, apart from events and losses", () => {
    const ledger = WriteLedger.create(32);
    ledger.record('10', 1, 1, 2, 0, 0); // the LIST's own revision: covered (rv ≤ upTo)
    ledger.record('7', 1, 1, 2, 0, 0); // the last one seen before the 410: not covered (rv > after)
    ledger.record('12', 1, 1, 2, 0, 0); // after the LIST: not covered
    ledger.record('9', 1, 1, 2, 1, 0); // another group's
    ledger.record('8', 1, 1, 2, 0, 3); // another set's
    ledger.observe('10'); // the other watcher got the event
    ledger.observe('7');
    expect(ledger.cover(0, 0, [{ after: '7', upTo: '10' }])).toBe(1);
    expect(ledger.cover(0, 0, [{ after: '', upTo: '10' }])).toBe(0);
    const scan = ledger.scan();
    expect(scan).toMatchObject({
      expectedDeliveries: 10,
      delivered: 2,
      coveredByRelist: 1,
      lost: 7,
    });
    expect(scan.byTag.get(0)).toEqual({
      acknowledged: 4,
      expectedDeliveries: 8,
      coveredByRelist: 1,
      lost: 5,
    });
  });

  it('never counts a write as more than its expected watchers', () => {
    const ledger = WriteLedger.create(8);
    ledger.record('5', 1, 1, 2);
    ledger.observe('5');
    ledger.cover(0, 0, [{ after: '4', upTo: '6' }]);
    ledger.cover(0, 0, [{ after: '1', upTo: '5' }]);
    expect(ledger.scan()).toMatchObject({ delivered: 1, coveredByRelist: 1, lost: 0 });
  });

  it('refuses duplicates and resourceVersions that are not revisions', () => {
    const ledger = WriteLedger.create(8);
    expect(ledger.record('5', 1, 1, 1)).toBe(true);
    expect(ledger.record('5', 2, 2, 1)).toBe(false);
    for (const bad of ['', '0', 'abc', '-3', '99999999999999999999']) {
      expect(ledger.record(bad, 1, 1, 1)).toBe(false);
    }
    expect(ledger.scan().acknowledged).toBe(1);
  });

  it('probes past collisions and counts writes that do not fit as overflow', () => {
    const ledger = WriteLedger.create(16);
    const stored = Array.from({ length: 30 }, (_, i) => ledger.record(String(i + 1), i, i, 1));
    // At most 70% of the slots are used.
    expect(stored.filter(Boolean)).toHaveLength(11);
    for (let i = 0; i < 11; i++) expect(ledger.peek(String(i + 1))?.ackEpochMs).toBe(i);
    expect(ledger.scan().overflow).toBe(19);
  });

  it('sizes capacity for a load factor of at most 0.5', () => {
    expect(ledgerCapacityFor(0)).toBe(1024);
    expect(ledgerCapacityFor(1000)).toBe(2048);
    expect(ledgerCapacityFor(100_000)).toBe(262_144);
  });

  it('keeps shared counters', () => {
    const ledger = WriteLedger.create(8, 2);
    expect(ledger.addCounter(1)).toBe(1);
    expect(ledger.addCounter(1, 2)).toBe(3);
    expect(ledger.counter(0)).toBe(0);
    expect(() => ledger.counter(2)).toThrow(RangeError);
  });
});

describe('LedgerObserver', () => {
  it('keeps an event that arrives before its write is recorded, and matches it later', () => {
    const ledger = WriteLedger.create(16);
    const observer = new LedgerObserver(ledger, { maxPendingMs: 1000 });
    expect(observer.receive('7', 500)).toEqual({ gaveUp: 0 });
    expect(observer.waiting).toBe(1);
    ledger.record('7', 510, 480, 1);
    const { matched, gaveUp } = observer.poll(600);
    expect(gaveUp).toBe(0);
    expect(matched).toEqual([{ receivedEpochMs: 500, ackEpochMs: 510, intendedEpochMs: 480 }]);
    expect(ledger.scan().lost).toBe(0);
  });

  it('gives up receipts after the bound, when full, and at the end', () => {
    const ledger = WriteLedger.create(16);
    const observer = new LedgerObserver(ledger, { maxPendingMs: 100, maxPending: 2 });
    observer.receive('1', 0);
    observer.receive('2', 50);
    expect(observer.receive('3', 60).gaveUp).toBe(1);
    expect(observer.poll(140).gaveUp).toBe(0);
    expect(observer.poll(155).gaveUp).toBe(1);
    expect(observer.poll(155, true).gaveUp).toBe(1);
    expect(observer.waiting).toBe(0);
  });
});

/** Runs `body` (JavaScript, with `ledger` in scope) in a worker thread attached to `shared`. */
function inWorker(shared: WriteLedgerShared, body: string): Promise<unknown> {
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL('../../../src/metrics/write-ledger.ts', import.meta.url).href;
  const source = `
    const { workerData, parentPort } = await import('node:worker_threads');
    const api = await import(${JSON.stringify(tsx)});
    api.register();
    const { WriteLedger } = await import(${JSON.stringify(module)});
    const ledger = WriteLedger.attach(workerData);
    parentPort.postMessage(await (async () => { ${body} })());
  `;
  return new Promise((resolve, reject) => {
    const w = new Worker(
      `import(${JSON.stringify(`data:text/javascript,${encodeURIComponent(source)}`)})`,
      {
        eval: true,
        workerData: shared,
      },
    );
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('WriteLedger across worker threads', () => {
  it(
    'sees writes recorded by one thread from another, and counts deliveries from both',
    { timeout: 60_000 },
    async () => {
      const ledger = WriteLedger.create(8192, 1);
      // Two writers race on overlapping keys: every key is stored exactly once.
      const writes = await Promise.all(
        [0, 1].map((w) =>
          inWorker(
            ledger.shared,
            `let n = 0;
           for (let rv = 1; rv <= 3000; rv++) if (ledger.record(String(rv), ${w} * 1e6 + rv, rv, 2, ${w})) n++;
           ledger.addCounter(0);
           return n;`,
          ),
        ),
      );
      expect((writes as number[]).reduce((a, b) => a + b, 0)).toBe(3000);
      expect(ledger.counter(0)).toBe(2);
      // Two watchers on other threads each see every write once.
      const seen = await Promise.all(
        [0, 1].map(() =>
          inWorker(
            ledger.shared,
            `let n = 0;
           for (let rv = 1; rv <= 3000; rv++) if (ledger.observe(String(rv)) !== undefined) n++;
           return n;`,
          ),
        ),
      );
      expect(seen).toEqual([3000, 3000]);
      const scan = ledger.scan();
      expect(scan).toMatchObject({ acknowledged: 3000, expectedDeliveries: 6000, lost: 0 });
      expect(ledger.peek('42')?.intendedEpochMs).toBe(42);
    },
  );
});
