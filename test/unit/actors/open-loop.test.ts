import { describe, expect, it } from 'vitest';
import { InFlight, steadySchedule } from '../../../src/actors/open-loop.js';
import { createRecorder, encode, record } from '../../../src/metrics/histogram.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InFlight', () => {
  it('drops sends beyond the cap, records the lag of started ones, and drains', async () => {
    const collector = new GroupIntervalCollector('g');
    const inFlight = new InFlight(collector, 2);
    const pending = [deferred(), deferred()];
    const started: number[] = [];
    const send = (i: number) => {
      started.push(i);
      return pending[started.length - 1]!.promise;
    };
    expect(inFlight.start(0, 1, send)).toBe(true);
    expect(inFlight.start(5, 5, send)).toBe(true);
    expect(inFlight.hasRoom()).toBe(false);
    expect(inFlight.start(10, 10, send)).toBe(false);
    expect(started).toEqual([0, 5]);

    let drained = false;
    const drain = inFlight.drained().then(() => (drained = true));
    pending[0]!.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(drained).toBe(false);
    pending[1]!.resolve();
    await drain;
    expect(inFlight.hasRoom()).toBe(true);
    // The requests themselves count as sent where they start (sendRecorded), not here.
    const [snapshot] = collector.snapshot(0);
    expect(snapshot).toMatchObject({ sent: 0, dropped: 1 });
    const lags = createRecorder();
    [1000, 0].forEach((us) => record(lags, us));
    expect(snapshot!.scheduleLag).toBe(encode(lags));
  });

  it('frees the slot of a send that rejects', async () => {
    const inFlight = new InFlight(new GroupIntervalCollector('g'), 1);
    inFlight.start(0, 0, () => Promise.reject(new Error('boom')));
    await inFlight.drained();
    expect(inFlight.hasRoom()).toBe(true);
  });

  it('calls onRelease only for a slot freed while the cap was reached', async () => {
    let released = 0;
    const inFlight = new InFlight(new GroupIntervalCollector('g'), 2, () => released++);
    const pending = [deferred(), deferred(), deferred()];
    let i = 0;
    const send = () => pending[i++]!.promise;
    inFlight.start(0, 0, send);
    inFlight.start(1, 1, send); // cap reached
    pending[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(1); // freed from a full limiter: a due send may take it now
    inFlight.start(2, 2, send); // full again
    pending[1]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(released).toBe(2);
    pending[2]!.resolve();
    await inFlight.drained();
    expect(released).toBe(2); // freed below the cap: the timer's next batch will do
  });
});

describe('steadySchedule', () => {
  it('spreads constant-rate instances over one period', () => {
    expect(steadySchedule(10, 'constant', { index: 1, count: 4 }, 1000)).toEqual({
      kind: 'constant',
      ratePerSec: 10,
      durationMs: 1000,
      phaseMs: 25,
    });
    expect(steadySchedule(10, 'poisson', { index: 1, count: 4 }, 1000)).toEqual({
      kind: 'poisson',
      ratePerSec: 10,
      durationMs: 1000,
    });
  });
});
