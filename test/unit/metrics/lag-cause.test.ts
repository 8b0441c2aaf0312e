import { describe, expect, it } from 'vitest';
import {
  LagEvidenceRecorder,
  describeLagCause,
  judgeLagCause,
  sumLagEvidence,
  worstLagCause,
  type IntervalReading,
  type LagEvidence,
} from '../../../src/metrics/lag-cause.js';
import { cpuBetween, parseSchedstat, readThreadCpu } from '../../../src/metrics/thread-cpu.js';

const evidence = (e: Partial<LagEvidence>): LagEvidence => ({
  intervals: 5,
  wallMs: 5000,
  cpuMs: 0,
  runDelayMs: 0,
  serverStalledMs: 0,
  ...e,
});

describe('judgeLagCause', () => {
  it.each([
    // A generator that ran most of the time it lagged, on an idle host.
    ['its own work', { cpuMs: 4600, runDelayMs: 30 }, 'generator'],
    // A 4 req/s run on a loaded machine: it barely ran, and waited for a CPU far longer.
    ['a busy host', { cpuMs: 60, runDelayMs: 900 }, 'host'],
    // Both busy: it ran more than half the time and more than it waited.
    ['its own work on a busy host', { cpuMs: 2800, runDelayMs: 1900 }, 'generator'],
    ['a busy host starving a busy generator', { cpuMs: 2400, runDelayMs: 2600 }, 'host'],
    // A paused API server: idle thread, no waiting for CPU, the server silent.
    ['a stalled server', { cpuMs: 40, runDelayMs: 2, serverStalledMs: 3000 }, 'server'],
    [
      'a stalled server on a busy host',
      { cpuMs: 40, runDelayMs: 400, serverStalledMs: 4000 },
      'server',
    ],
    // A burst of answers after the server resumes keeps the generator busy: the stall set it off.
    [
      'a generator busy reading what a stalled server sends at once',
      { cpuMs: 4000, serverStalledMs: 5000 },
      'server',
    ],
    [
      'a generator busy in most of the time it lagged, the server stalling in some',
      { cpuMs: 4000, serverStalledMs: 2000 },
      'generator',
    ],
    [
      'a stalled server, without CPU readings',
      { cpuMs: undefined, runDelayMs: undefined, serverStalledMs: 3000 },
      'server',
    ],
    // Short bursts of its own work (a large response parsed at once): neither half nor waiting.
    ['bursts of its own work', { cpuMs: 900, runDelayMs: 100 }, 'generator'],
    ['no CPU readings', { cpuMs: undefined, runDelayMs: undefined }, 'unknown'],
  ] as const)('%s', (_name, e, cause) => {
    const { cpuMs, runDelayMs, ...rest } = evidence(e);
    expect(
      judgeLagCause({
        ...rest,
        ...(cpuMs === undefined ? {} : { cpuMs }),
        ...(runDelayMs === undefined ? {} : { runDelayMs }),
      }),
    ).toBe(cause);
  });
});

describe('worstLagCause', () => {
  it.each([
    [[], undefined],
    [['server', 'host'], 'host'],
    [['host', 'generator', 'server'], 'generator'],
    [['server', 'unknown'], 'unknown'],
    [['server'], 'server'],
  ] as const)('%j gives %s', (causes, want) => {
    expect(worstLagCause(causes)).toBe(want);
  });
});

describe('sumLagEvidence', () => {
  it('adds up workers, and drops a reading one of them lacks', () => {
    expect(
      sumLagEvidence([
        evidence({ intervals: 2, wallMs: 2000, cpuMs: 100, runDelayMs: 50, serverStalledMs: 0 }),
        evidence({ intervals: 3, wallMs: 3000, cpuMs: 30, runDelayMs: 700, serverStalledMs: 1000 }),
      ]),
    ).toEqual({ intervals: 5, wallMs: 5000, cpuMs: 130, runDelayMs: 750, serverStalledMs: 1000 });
    const { cpuMs: _c, runDelayMs: _r, ...bare } = evidence({});
    expect(sumLagEvidence([evidence({}), bare])).toEqual({
      intervals: 10,
      wallMs: 10_000,
      serverStalledMs: 0,
    });
    expect(sumLagEvidence([])).toBeUndefined();
  });
});

describe('LagEvidenceRecorder', () => {
  const reading = (r: Partial<IntervalReading> & { runMs: number; waitMs: number }) => ({
    wallMs: 1000,
    lagging: false,
    inFlight: 0,
    answered: 10,
    measured: true,
    ...r,
    cpu: { runMs: r.runMs, waitMs: r.waitMs },
  });

  it('sums what the thread did in the intervals that lagged, after the warm-up', () => {
    const rec = new LagEvidenceRecorder({ cpu: { runMs: 0, waitMs: 0 }, inFlight: 0 });
    // Warm-up: lagging, but only moves the baseline on.
    rec.add(reading({ runMs: 900, waitMs: 0, lagging: true, measured: false }));
    rec.add(reading({ runMs: 950, waitMs: 10 }));
    rec.add(reading({ runMs: 1000, waitMs: 400, lagging: true }));
    rec.add(reading({ runMs: 1020, waitMs: 900, lagging: true, wallMs: 1010 }));
    expect(rec.evidence()).toEqual({
      intervals: 2,
      wallMs: 2010,
      cpuMs: 70,
      runDelayMs: 890,
      serverStalledMs: 0,
    });
  });

  it('covers every measured interval when none lagged by itself', () => {
    const rec = new LagEvidenceRecorder({ cpu: { runMs: 0, waitMs: 0 }, inFlight: 0 });
    rec.add(reading({ runMs: 10, waitMs: 5 }));
    rec.add(reading({ runMs: 30, waitMs: 6 }));
    expect(rec.evidence()).toEqual({
      intervals: 2,
      wallMs: 2000,
      cpuMs: 30,
      runDelayMs: 6,
      serverStalledMs: 0,
    });
  });

  it('marks the silent intervals of a stalled server and the one after, when late sends go out', () => {
    const rec = new LagEvidenceRecorder({ cpu: { runMs: 0, waitMs: 0 }, inFlight: 3 });
    rec.add(reading({ runMs: 5, waitMs: 0, inFlight: 3, answered: 0 })); // silent
    rec.add(reading({ runMs: 10, waitMs: 0, inFlight: 3, answered: 0 })); // silent
    // The server answers again: kubelets send what waited, late.
    rec.add(reading({ runMs: 20, waitMs: 1, inFlight: 0, answered: 40, lagging: true }));
    rec.add(reading({ runMs: 30, waitMs: 1, inFlight: 0, answered: 10, lagging: true }));
    expect(rec.evidence()).toEqual({
      intervals: 2,
      wallMs: 2000,
      cpuMs: 20,
      runDelayMs: 1,
      serverStalledMs: 1000,
    });
  });

  it('is not silent when nothing was in flight, or something was answered', () => {
    const rec = new LagEvidenceRecorder({ cpu: undefined, inFlight: 0 });
    rec.add({
      wallMs: 1000,
      lagging: true,
      cpu: undefined,
      inFlight: 2,
      answered: 0,
      measured: true,
    });
    rec.add({
      wallMs: 1000,
      lagging: true,
      cpu: undefined,
      inFlight: 2,
      answered: 1,
      measured: true,
    });
    // Without CPU readings the evidence has none (lagCause "unknown").
    expect(rec.evidence()).toEqual({ intervals: 2, wallMs: 2000, serverStalledMs: 0 });
  });
});

describe('describeLagCause', () => {
  it.each([
    [
      'host',
      evidence({ cpuMs: 60, runDelayMs: 900 }),
      'host busy: the generator waited 900 ms for CPU that other processes had (it ran 60 ms) in the 5 s it lagged',
    ],
    [
      'generator',
      evidence({ cpuMs: 4600, runDelayMs: 30 }),
      'generator saturated: its threads ran 4.6 s of CPU (and waited 30 ms for more) in the 5 s it lagged',
    ],
    [
      'server',
      evidence({ cpuMs: 40, serverStalledMs: 3000 }),
      'server stalled: 3 s of the 5 s the generator lagged came during or just after a spell in which the server answered none of the requests in flight; sends that waited for its answers went out late',
    ],
    [
      'unknown',
      undefined,
      'cause unknown: no per-thread CPU figures on this platform tell the generator from the host',
    ],
  ] as const)('%s', (cause, e, text) => {
    expect(describeLagCause(cause, e)).toBe(text);
  });
});

describe('thread CPU', () => {
  it('parses schedstat: ns on a CPU, ns waiting, slices', () => {
    expect(parseSchedstat('524732000 4037036000 2\n')).toEqual({
      runMs: 524.732,
      waitMs: 4037.036,
    });
    expect(parseSchedstat('')).toBeUndefined();
    expect(parseSchedstat('x y z')).toBeUndefined();
  });

  it('takes differences between readings, none without both', () => {
    expect(cpuBetween({ runMs: 10, waitMs: 5 }, { runMs: 25, waitMs: 9 })).toEqual({
      runMs: 15,
      waitMs: 4,
    });
    expect(cpuBetween(undefined, { runMs: 1, waitMs: 1 })).toBeUndefined();
  });

  it('reads nothing where the kernel file is missing', () => {
    expect(readThreadCpu('/nonexistent/schedstat')).toBeUndefined();
  });
});
