import { describe, expect, it } from 'vitest';

import { FakeClock, type Clock } from '../../../src/timing/clock.js';
import { SendDispatcher } from '../../../src/timing/dispatcher.js';
import { createRng } from '../../../src/timing/random.js';
import { createSchedule, type Schedule } from '../../../src/timing/schedule.js';

interface Send {
  readonly who: string;
  readonly intended: number;
  readonly actual: number;
}

/** A constant schedule of `ratePerSec` over `durationMs`, phase-shifted by `phaseMs`. */
function constant(ratePerSec: number, durationMs: number, phaseMs = 0): Schedule {
  return createSchedule({ kind: 'constant', ratePerSec, durationMs, phaseMs }, createRng(1));
}

function setup(origin = 1000) {
  const clock = new FakeClock(origin);
  const dispatcher = new SendDispatcher(clock);
  const sends: Send[] = [];
  const add = (
    who: string,
    schedule: Schedule,
    extra: { deadlineMs?: number; signal?: AbortSignal } = {},
  ) =>
    dispatcher.add({
      schedule,
      clock,
      originMs: origin,
      onSend: (intended, actual) => sends.push({ who, intended, actual }),
      ...extra,
    });
  return { clock, dispatcher, sends, add };
}

describe('SendDispatcher', () => {
  it('drives many schedules on one timer, each send at its exact intended time, in time order', async () => {
    const { clock, dispatcher, sends, add } = setup();
    const a = add('a', constant(10, 1000)); // 0, 100, ..., 900
    const b = add('b', constant(10, 1000, 50)); // 50, 150, ..., 950
    const c = add('c', constant(4, 1000, 30)); // 30, 280, 530, 780
    await clock.advance(1);
    expect(clock.pending).toBe(1);
    expect(dispatcher.size).toBe(3);
    await clock.advance(499);
    expect(clock.pending).toBe(1);
    expect(sends.map((s) => `${s.who}${s.intended}`)).toEqual([
      'a0',
      'c30',
      'b50',
      'a100',
      'b150',
      'a200',
      'b250',
      'c280',
      'a300',
      'b350',
      'a400',
      'b450',
      'a500',
    ]);
    expect(sends.every((s) => s.actual === s.intended)).toBe(true);
    await clock.advance(1000);
    expect(await Promise.all([a, b, c])).toEqual([10, 10, 4]);
    expect(clock.pending).toBe(0);
    expect(dispatcher.size).toBe(0);
  });

  it('catches up after a stall with the original intended times and does not shift later sends', async () => {
    const { clock, sends, add } = setup();
    const a = add('a', constant(10, 3000));
    const b = add('b', constant(10, 3000, 50));
    await clock.advance(120); // a0 b50 a100
    await clock.stall(500); // blocked from 120 to 620
    const overdue = sends.filter((s) => s.actual === 620);
    expect(overdue.map((s) => `${s.who}${s.intended}`)).toEqual([
      'b150',
      'a200',
      'b250',
      'a300',
      'b350',
      'a400',
      'b450',
      'a500',
      'b550',
      'a600',
    ]);
    await clock.advance(200);
    const later = sends.filter((s) => s.intended > 620);
    expect(later.map((s) => `${s.who}${s.intended}`)).toEqual(['b650', 'a700', 'b750', 'a800']);
    expect(later.every((s) => s.actual === s.intended)).toBe(true);
    await clock.advance(5000);
    expect(await Promise.all([a, b])).toEqual([30, 30]);
  });

  it('ends each schedule at its own deadline, firing nothing intended at or after it', async () => {
    const { clock, sends, add } = setup();
    const a = add('a', constant(10, 10_000), { deadlineMs: 250 });
    const b = add('b', constant(10, 10_000), { deadlineMs: 500 });
    await clock.advance(10_000);
    expect(await Promise.all([a, b])).toEqual([3, 5]);
    expect(sends.filter((s) => s.who === 'a').at(-1)?.intended).toBe(200);
    expect(sends.filter((s) => s.who === 'b').at(-1)?.intended).toBe(400);
    expect(clock.pending).toBe(0);
  });

  it('ends the schedules of an aborted signal, also while waiting, and keeps the others', async () => {
    const { clock, sends, add } = setup();
    const stop = new AbortController();
    const a = add('a', constant(10, 10_000), { signal: stop.signal });
    const b = add('b', constant(10, 1000, 50));
    await clock.advance(120);
    stop.abort();
    expect(await a).toBe(2);
    expect(clock.pending).toBe(1);
    await clock.advance(2000);
    expect(await b).toBe(10);
    expect(sends.filter((s) => s.who === 'a')).toHaveLength(2);
    expect(clock.pending).toBe(0);
    expect(await add('c', constant(10, 1000), { signal: stop.signal })).toBe(0);
  });

  it('stops a schedule whose onSend aborts during a catch-up', async () => {
    const clock = new FakeClock();
    const dispatcher = new SendDispatcher(clock);
    const stop = new AbortController();
    let fired = 0;
    const done = dispatcher.add({
      schedule: constant(10, 10_000),
      clock,
      originMs: 0,
      signal: stop.signal,
      onSend: () => {
        if (++fired === 3) stop.abort();
      },
    });
    await clock.stall(5000);
    expect(await done).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('fires due sends on a poke, before the timer, and never a send that is not due', () => {
    // A clock whose timers never fire by themselves: only pokes can send.
    let time = 0;
    const timers: number[] = [];
    const clock: Clock = {
      now: () => time,
      sleepUntil: () => Promise.resolve(),
      setTimer: (t) => {
        timers.push(t);
        return () => undefined;
      },
    };
    const dispatcher = new SendDispatcher(clock);
    const seen: { intended: number; actual: number }[] = [];
    void dispatcher.add({
      schedule: constant(1000, 100), // every ms
      clock,
      originMs: 0,
      onSend: (intended, actual) => seen.push({ intended, actual }),
    });
    expect(timers).toEqual([0]);
    time = 3.5; // a response arrives 3.5 ms in, before the timer callback has run
    dispatcher.poke();
    expect(seen).toEqual([0, 1, 2, 3].map((intended) => ({ intended, actual: 3.5 })));
    expect(timers.at(-1)).toBe(4);
    dispatcher.poke();
    expect(seen).toHaveLength(4);
  });

  it('rejects the schedule whose onSend throws and keeps driving the others', async () => {
    const { clock, dispatcher, sends, add } = setup();
    const b = add('b', constant(10, 500));
    const bad = dispatcher.add({
      schedule: constant(10, 500, 10),
      clock,
      originMs: 1000,
      onSend: () => {
        throw new Error('boom');
      },
    });
    const rejected = expect(bad).rejects.toThrow('boom');
    await clock.advance(1000);
    await rejected;
    expect(await b).toBe(5);
    expect(sends).toHaveLength(5);
  });
});
