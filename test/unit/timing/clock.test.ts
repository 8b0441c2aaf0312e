import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';

import { FakeClock, createRealClock } from '../../../src/timing/clock.js';

describe('FakeClock', () => {
  it('wakes waiters in due order at their due times', async () => {
    const clock = new FakeClock();
    const woke: [string, number][] = [];
    void clock.sleepUntil(30).then(() => woke.push(['b', clock.now()]));
    void clock.sleepUntil(10).then(() => woke.push(['a', clock.now()]));
    await clock.advanceTo(25);
    expect(woke).toEqual([['a', 10]]);
    expect(clock.now()).toBe(25);
    await clock.advance(5);
    expect(woke).toEqual([
      ['a', 10],
      ['b', 30],
    ]);
  });

  it('wakes every overdue waiter at the end of a stall', async () => {
    const clock = new FakeClock(100);
    const woke: number[] = [];
    void clock.sleepUntil(110).then(() => woke.push(clock.now()));
    void clock.sleepUntil(150).then(() => woke.push(clock.now()));
    await clock.stall(200);
    expect(woke).toEqual([300, 300]);
  });

  it('resolves at once for a past time or an aborted signal, and on abort', async () => {
    const clock = new FakeClock(50);
    await clock.sleepUntil(10);
    await clock.sleepUntil(1000, AbortSignal.abort());
    const controller = new AbortController();
    const waiting = clock.sleepUntil(1000, controller.signal);
    expect(clock.pending).toBe(1);
    controller.abort();
    await waiting;
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(50);
  });
});

describe('setTimer', () => {
  it('FakeClock: fires at the due time, never synchronously, and not once cancelled', async () => {
    const clock = new FakeClock(10);
    const fired: number[] = [];
    clock.setTimer(5, () => fired.push(clock.now()));
    expect(fired).toEqual([]);
    const cancel = clock.setTimer(30, () => fired.push(-1));
    clock.setTimer(20, () => fired.push(clock.now()));
    cancel();
    await clock.advance(100);
    expect(fired).toEqual([10, 20]);
    expect(clock.pending).toBe(0);
  });

  it('real clock: never fires before the time, and not once cancelled', async () => {
    const clock = createRealClock();
    const target = clock.now() + 7.3;
    const firedAt = await new Promise<number>((resolve) =>
      clock.setTimer(target, () => resolve(clock.now())),
    );
    expect(firedAt).toBeGreaterThanOrEqual(target);
    let fired = false;
    const cancel = clock.setTimer(clock.now() + 2, () => (fired = true));
    cancel();
    await clock.sleepUntil(clock.now() + 10);
    expect(fired).toBe(false);
  });
});

describe('createRealClock', () => {
  it.each([0, 1])(
    'does not resolve before the requested time (yield window %d ms)',
    async (yieldWindowMs) => {
      const clock = createRealClock({ yieldWindowMs });
      const target = clock.now() + 15;
      await clock.sleepUntil(target);
      expect(clock.now()).toBeGreaterThanOrEqual(target);
    },
  );

  it('fires timers with a coarse resolution at or after the next multiple, never before they are due', async () => {
    const clock = createRealClock({ resolutionMs: 20 });
    const fired: number[] = [];
    const start = clock.now();
    await Promise.all(
      [3, 7, 11, 23].map(
        (offset, i) =>
          new Promise<void>((resolve) =>
            clock.setTimer(start + offset, () => {
              fired[i] = clock.now();
              resolve();
            }),
          ),
      ),
    );
    const due = [3, 7, 11, 23].map((offset) => start + offset);
    fired.forEach((at, i) => {
      expect(at).toBeGreaterThanOrEqual(Math.ceil(due[i]! / 20) * 20);
    });
    // Only lower bounds: how late a timer fires depends on the machine's load.
  });

  it('resolves early when aborted', async () => {
    const clock = createRealClock();
    const controller = new AbortController();
    const start = clock.now();
    const waiting = clock.sleepUntil(start + 60_000, controller.signal);
    controller.abort();
    await waiting;
    expect(clock.now() - start).toBeLessThan(60_000);
  });
});

describe('createRealClock aborts', () => {
  it('wakes every sleeper of a signal at once, with a single listener on the signal', async () => {
    const clock = createRealClock();
    const stop = new AbortController();
    const sleepers = Array.from({ length: 50 }, () =>
      clock.sleepUntil(clock.now() + 60_000, stop.signal),
    );
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    const before = clock.now();
    stop.abort();
    await Promise.all(sleepers);
    expect(clock.now() - before).toBeLessThan(1000);
  });

  it('returns at once for a time already past or a signal already aborted', async () => {
    const clock = createRealClock();
    const aborted = AbortSignal.abort();
    const woke: string[] = [];
    void clock.sleepUntil(clock.now() - 5).then(() => woke.push('past'));
    void clock.sleepUntil(clock.now() + 60_000, aborted).then(() => woke.push('aborted'));
    // One microtask turn: a sleep that had set a timer, however short, could not be done yet.
    await Promise.resolve();
    expect(woke).toEqual(['past', 'aborted']);
    // An 'abort' listener on a signal that already aborted would never fire.
    expect(getEventListeners(aborted, 'abort')).toHaveLength(0);
  });
});
