import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import {
  EventLoopMonitor,
  combineWorkerHealth,
  generatorHealth,
  judgeSaturation,
  type SaturationInput,
} from '../../../src/metrics/generator-health.js';

const healthy: SaturationInput = {
  eventLoopDelayP99Ms: 2,
  utilization: 0.4,
  scheduleLagP99Ms: 1,
  dropped: 0,
};

describe('judgeSaturation', () => {
  it.each([
    ['a healthy generator', {}, []],
    [
      'thresholds themselves',
      { utilization: 0.9, scheduleLagP99Ms: 10, eventLoopDelayP99Ms: 50 },
      [],
    ],
    ['a busy CPU', { utilization: 0.95 }, [/utilization 0.95 > 0.9/]],
    ['late sends', { scheduleLagP99Ms: 12.5 }, [/schedule lag p99 12.5 ms > 10 ms/]],
    ['a blocked event loop', { eventLoopDelayP99Ms: 80 }, [/event-loop delay p99 80 ms > 50 ms/]],
    ['dropped sends', { dropped: 3 }, [/3 sends dropped/]],
    [
      'everything at once',
      { utilization: 1, scheduleLagP99Ms: 40, eventLoopDelayP99Ms: 60, dropped: 1 },
      [/utilization/, /schedule lag/, /event-loop delay/, /dropped/],
    ],
  ] as const)('judges %s', (_name, overrides, reasons) => {
    const judgement = judgeSaturation({ ...healthy, ...overrides });
    expect(judgement.saturated).toBe(reasons.length > 0);
    expect(judgement.reasons).toHaveLength(reasons.length);
    judgement.reasons.forEach((reason, i) => expect(reason).toMatch(reasons[i] ?? /^$/));
  });

  it('takes custom thresholds', () => {
    const strict = { utilization: 0.3, scheduleLagP99Ms: 10, eventLoopDelayP99Ms: 50, dropped: 0 };
    expect(judgeSaturation(healthy, strict).saturated).toBe(true);
  });
});

describe('generator health', () => {
  const calm = generatorHealth({ eventLoopDelayMs: { p99: 1, max: 4 }, utilization: 0.3 }, 0.5, 0);
  const busy = generatorHealth({ eventLoopDelayMs: { p99: 70, max: 90 }, utilization: 0.5 }, 3, 0);

  it('builds the result section of one worker', () => {
    expect(calm).toEqual({
      eventLoopDelayMs: { p99: 1, max: 4 },
      utilization: 0.3,
      scheduleLagMs: { p99: 0.5 },
      saturated: false,
      reasons: [],
    });
  });

  it('combines workers into the worst figures, saturated when any worker was', () => {
    expect(combineWorkerHealth([calm, busy])).toEqual({
      eventLoopDelayMs: { p99: 70, max: 90 },
      utilization: 0.5,
      scheduleLagMs: { p99: 3 },
      saturated: true,
      reasons: [expect.stringMatching(/^worker 1: event-loop delay p99 70 ms/)],
    });
  });
});

describe('EventLoopMonitor', () => {
  it('sees a blocked event loop in the interval and in the total', async () => {
    const monitor = new EventLoopMonitor(10);
    try {
      await sleep(30);
      const blockedUntil = performance.now() + 80;
      while (performance.now() < blockedUntil) {
        // Block the event loop on purpose.
      }
      await sleep(20);
      const interval = monitor.interval();
      expect(interval.eventLoopDelayMs.max).toBeGreaterThanOrEqual(50);
      expect(interval.utilization).toBeGreaterThan(0);
      expect(interval.utilization).toBeLessThanOrEqual(1);
      expect(monitor.total().eventLoopDelayMs.max).toBeGreaterThanOrEqual(50);
    } finally {
      monitor.stop();
    }
  });
});
