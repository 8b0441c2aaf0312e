import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import {
  EventLoopMonitor,
  capInput,
  combineWorkerHealth,
  generatorHealth,
  judgeCaps,
  judgeRun,
  judgeSaturation,
  type CapInput,
  type SaturationInput,
} from '../../../src/metrics/generator-health.js';

const healthy: SaturationInput = {
  eventLoopDelayP99Ms: 2,
  utilization: 0.4,
  scheduleLagP99Ms: 1,
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
    [
      'everything at once',
      { utilization: 1, scheduleLagP99Ms: 40, eventLoopDelayP99Ms: 60 },
      [/utilization/, /schedule lag/, /event-loop delay/],
    ],
  ] as const)('judges %s', (_name, overrides, reasons) => {
    const judgement = judgeSaturation({ ...healthy, ...overrides });
    expect(judgement.saturated).toBe(reasons.length > 0);
    expect(judgement.reasons).toHaveLength(reasons.length);
    judgement.reasons.forEach((reason, i) => expect(reason).toMatch(reasons[i] ?? /^$/));
  });

  it('takes custom thresholds', () => {
    const strict = { utilization: 0.3, scheduleLagP99Ms: 10, eventLoopDelayP99Ms: 50 };
    expect(judgeSaturation(healthy, strict).saturated).toBe(true);
  });
});

describe('generator health', () => {
  const calm = generatorHealth({ eventLoopDelayMs: { p99: 1, max: 4 }, utilization: 0.3 }, 0.5);
  const busy = generatorHealth({ eventLoopDelayMs: { p99: 70, max: 90 }, utilization: 0.5 }, 3);

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

  // A 4 req/s run whose sends went out 40 ms late (p99) on a loaded machine.
  const lateLoop = { eventLoopDelayMs: { p99: 3, max: 60 }, utilization: 0.05 };
  const onBusyHost = {
    intervals: 6,
    wallMs: 6000,
    cpuMs: 80,
    runDelayMs: 1300,
    serverStalledMs: 0,
  };
  const afterPause = {
    intervals: 2,
    wallMs: 2000,
    cpuMs: 30,
    runDelayMs: 4,
    serverStalledMs: 2000,
  };
  const ownWork = { intervals: 4, wallMs: 4000, cpuMs: 3900, runDelayMs: 20, serverStalledMs: 0 };

  it.each([
    ['a busy host', onBusyHost, 'host', false],
    ['a stalled server', afterPause, 'server', false],
    ['its own work', ownWork, 'generator', true],
  ] as const)('is saturated only by its own work: %s', (_name, evidence, cause, saturated) => {
    const health = generatorHealth(lateLoop, 40, evidence);
    expect(health).toMatchObject({ saturated, lagCause: cause, lagEvidence: evidence });
    expect(health.reasons).toEqual([expect.stringMatching(/^schedule lag p99 40 ms > 10 ms/)]);
  });

  it('judges no cause when no threshold was crossed, and saturation without readings', () => {
    expect(generatorHealth(lateLoop, 2, onBusyHost)).toEqual({
      eventLoopDelayMs: lateLoop.eventLoopDelayMs,
      utilization: 0.05,
      scheduleLagMs: { p99: 2 },
      saturated: false,
      reasons: [],
    });
    const bare = { intervals: 6, wallMs: 6000, serverStalledMs: 0 };
    expect(generatorHealth(lateLoop, 40, bare)).toMatchObject({
      saturated: true,
      lagCause: 'unknown',
    });
  });

  it('combines workers: the generator before the host, their evidence added up', () => {
    const host = generatorHealth(lateLoop, 40, onBusyHost);
    const server = generatorHealth(lateLoop, 30, afterPause);
    expect(combineWorkerHealth([host, server, calm])).toMatchObject({
      saturated: false,
      lagCause: 'host',
      lagEvidence: {
        intervals: 8,
        wallMs: 8000,
        cpuMs: 110,
        runDelayMs: 1304,
        serverStalledMs: 2000,
      },
    });
    const own = generatorHealth(lateLoop, 40, ownWork);
    expect(combineWorkerHealth([host, own])).toMatchObject({
      saturated: true,
      lagCause: 'generator',
    });
  });
});

/** The demo's noisy tenant: 20/s per instance with 256 in flight allows 12.8 s per response. */
const noisy: CapInput = {
  group: 'noisy',
  maxInFlight: 256,
  ratePerSecond: 20,
  sent: 400,
  dropped: 800,
  serviceTimeMs: { mean: 25_600, p99: 31_000 },
};

describe('judgeCaps', () => {
  it.each([
    ['no drops: the intended load was offered', { dropped: 0 }, false, []],
    [
      'responses slower on average than the cap allows: the server, and the knob',
      {},
      false,
      [
        'noisy: 800 of 1200 due sends dropped at maxInFlight 256 (256 ÷ 20/s = 12.8 s allowed per response; service time mean 25.6 s, p99 31 s): the server answered slower than the cap allows, not the generator; a larger maxInFlight offers the intended load',
      ],
    ],
    [
      'responses faster on average: slow spells or bunched sends',
      { serviceTimeMs: { mean: 2_000, p99: 31_000 } },
      false,
      [
        /mean 2 s, p99 31 s\): slow spells of the server or sends due close together filled the cap; a larger maxInFlight/,
      ],
    ],
    [
      'a group without a rate: no time allowed per response',
      { ratePerSecond: undefined, serviceTimeMs: { mean: 12.5, p99: 40 } },
      false,
      [
        /^noisy: 800 of 1200 due sends dropped at maxInFlight 256 \(service time mean 12.5 ms, p99 40 ms\): slow spells/,
      ],
    ],
    [
      'a saturated generator and slow responses: both, the generator as a possible part',
      {},
      true,
      [
        /12\.8 s allowed per response.*\): responses were slower than the cap allows, but the generator was saturated too: its own delay in reading them may be part of that$/,
      ],
    ],
    [
      'a saturated generator and responses within the cap: its own delay may have held the slots',
      { serviceTimeMs: { mean: 2_000, p99: 31_000 } },
      true,
      [/p99 31 s\): the generator was saturated too, so its own delay may have held the slots$/],
    ],
  ] as const)('%s', (_name, overrides, saturated, reasons) => {
    const { ratePerSecond, ...rest } = { ...noisy, ...overrides };
    const group = { ...rest, ...(ratePerSecond === undefined ? {} : { ratePerSecond }) };
    const judgement = judgeCaps([group], saturated);
    expect(judgement.capped).toBe(reasons.length > 0);
    expect(judgement.cappedReasons).toHaveLength(reasons.length);
    judgement.cappedReasons.forEach((reason, i) => expect(reason).toMatch(reasons[i]!));
  });

  it('names only the groups that dropped sends', () => {
    const quiet = { ...noisy, group: 'quiet', dropped: 0 };
    expect(judgeCaps([quiet, noisy], false).cappedReasons).toEqual([
      expect.stringMatching(/^noisy: /),
    ]);
  });
});

describe('capInput', () => {
  const totals = { sent: 10, dropped: 2, serviceTimeMs: { mean: 5, p99: 9 } };
  it.each([
    ['a steady rate', { name: 'g', maxInFlight: 8, rate: 4 }, { ratePerSecond: 4 }],
    [
      'the peak of a ramp',
      { name: 'g', maxInFlight: 8, startRate: 30, stages: [{ target: 10 }, { target: 50 }] },
      { ratePerSecond: 50 },
    ],
    ['no rate (kubelet pod starts)', { name: 'g', maxInFlight: 8 }, {}],
  ] as const)('takes %s', (_name, spec, rate) => {
    expect(capInput(spec, totals)).toEqual({
      group: 'g',
      maxInFlight: 8,
      ...rate,
      sent: 10,
      dropped: 2,
      serviceTimeMs: { mean: 5, p99: 9 },
    });
  });

  it('leaves out groups without a cap or without figures', () => {
    expect(capInput({ name: 'g', rate: 4 }, totals)).toBeUndefined();
    expect(capInput({ name: 'g', maxInFlight: 8 }, undefined)).toBeUndefined();
  });
});

describe('judgeRun: saturation and caps apart', () => {
  const calmLoop = { eventLoopDelayMs: { p99: 1, max: 4 }, utilization: 0.3 };
  const busyLoop = { eventLoopDelayMs: { p99: 2, max: 9 }, utilization: 0.97 };
  it.each([
    ['a healthy loop with drops is capped, not saturated', calmLoop, 800, false, true],
    ['a busy loop without drops is saturated, not capped', busyLoop, 0, true, false],
    ['a busy loop with drops is both', busyLoop, 800, true, true],
    ['a healthy loop without drops is neither', calmLoop, 0, false, false],
  ] as const)('%s', (_name, loop, dropped, saturated, capped) => {
    const run = judgeRun([generatorHealth(loop, 0.5)], [{ ...noisy, dropped }]);
    expect(run.saturated).toBe(saturated);
    expect(run.reasons.some((r) => r.includes('dropped'))).toBe(false);
    expect(run.capped).toBe(capped);
    expect(run.cappedReasons.some((r) => r.includes('generator was saturated'))).toBe(
      saturated && capped,
    );
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
