import { describe, expect, it } from 'vitest';

import { FakeClock } from '../../../src/timing/clock.js';
import { createRng } from '../../../src/timing/random.js';
import {
  InFlightLimiter,
  createSchedule,
  dispatch,
  type DispatchOptions,
} from '../../../src/timing/schedule.js';

interface Send {
  readonly intended: number;
  readonly actual: number;
}

/** A 10/s constant schedule (a send every 100 ms) over `durationMs`, driven by a fake clock. */
function start(durationMs: number, extra: Partial<DispatchOptions> = {}) {
  const clock = new FakeClock(1000);
  const sends: Send[] = [];
  const done = dispatch({
    schedule: createSchedule({ kind: 'constant', ratePerSec: 10, durationMs }, createRng(1)),
    clock,
    originMs: 1000,
    onSend: (intended, actual) => sends.push({ intended, actual }),
    ...extra,
  });
  return { clock, sends, done };
}

describe('dispatch', () => {
  it('fires each send at its intended time, holding one pending wait', async () => {
    const { clock, sends, done } = start(1000);
    await clock.advance(450);
    expect(sends.map((s) => s.intended)).toEqual([0, 100, 200, 300, 400]);
    expect(sends.every((s) => s.actual === s.intended)).toBe(true);
    expect(clock.pending).toBe(1);
    await clock.advance(1000);
    expect(await done).toBe(10);
  });

  it('fires overdue sends at once after a stall, keeping intended times, then resumes on time', async () => {
    const { clock, sends, done } = start(5000);
    await clock.advance(250);
    await clock.stall(2000); // blocked from 250 to 2250
    const overdue = sends.filter((s) => s.intended > 250 && s.intended <= 2250);
    expect(overdue.map((s) => s.intended)).toEqual(
      Array.from({ length: 20 }, (_, i) => 300 + i * 100),
    );
    expect(overdue.every((s) => s.actual === 2250)).toBe(true);
    expect(overdue[0] && overdue[0].actual - overdue[0].intended).toBe(1950);

    await clock.advance(1000);
    const later = sends.filter((s) => s.intended > 2250);
    expect(later.map((s) => s.intended)).toEqual([
      2300, 2400, 2500, 2600, 2700, 2800, 2900, 3000, 3100, 3200,
    ]);
    expect(later.every((s) => s.actual === s.intended)).toBe(true);

    await clock.advance(5000);
    expect(await done).toBe(50);
  });

  it('stops when the signal aborts, also while waiting', async () => {
    const controller = new AbortController();
    const { clock, sends, done } = start(10_000, { signal: controller.signal });
    await clock.advance(350);
    controller.abort();
    expect(await done).toBe(4);
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(sends).toHaveLength(4);
  });

  it('stops when onSend aborts during a catch-up', async () => {
    const controller = new AbortController();
    const clock = new FakeClock();
    let fired = 0;
    const done = dispatch({
      schedule: createSchedule(
        { kind: 'constant', ratePerSec: 10, durationMs: 10_000 },
        createRng(1),
      ),
      clock,
      originMs: 0,
      signal: controller.signal,
      onSend: () => {
        if (++fired === 3) {
          controller.abort();
        }
      },
    });
    await clock.stall(5000);
    expect(await done).toBe(3);
  });

  it('fires no send intended at or after the deadline', async () => {
    const { clock, sends, done } = start(10_000, { deadlineMs: 500 });
    await clock.advance(10_000);
    expect(await done).toBe(5);
    expect(sends.at(-1)?.intended).toBe(400);
  });
});

describe('InFlightLimiter', () => {
  it('refuses sends beyond the cap, which the caller counts as dropped', () => {
    const limiter = new InFlightLimiter(2);
    let dropped = 0;
    const attempt = (): void => {
      if (!limiter.tryAcquire()) {
        dropped++;
      }
    };
    attempt();
    attempt();
    attempt();
    expect({ inFlight: limiter.inFlight, dropped }).toEqual({ inFlight: 2, dropped: 1 });
    limiter.release();
    attempt();
    attempt();
    expect({ inFlight: limiter.inFlight, dropped }).toEqual({ inFlight: 2, dropped: 2 });
  });

  it('rejects a release without an acquire and a cap below 1', () => {
    expect(() => new InFlightLimiter(1).release()).toThrow(/without a matching/);
    expect(() => new InFlightLimiter(0)).toThrow(RangeError);
  });
});
