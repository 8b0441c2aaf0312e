import { describe, expect, it } from 'vitest';
import {
  bestClockSample,
  clockSample,
  offsetErrorBoundMs,
} from '../../../src/timing/clock-sync.js';

describe('clockSample: NTP on-wire offset and RTT', () => {
  it('finds the offset exactly over a symmetric path', () => {
    // Agent 500 ms ahead; 10 ms each way; the agent holds the probe 2 ms.
    const s = clockSample({ t0: 1000, t1: 1510, t2: 1512, t3: 1022 });
    expect(s).toEqual({ offsetMs: 500, rttMs: 20 });
  });

  it('errs by at most half the RTT over an asymmetric path', () => {
    // Agent 500 ms behind; 30 ms out, 2 ms back.
    const s = clockSample({ t0: 0, t1: -470, t2: -470, t3: 32 });
    expect(s.rttMs).toBe(32);
    expect(Math.abs(s.offsetMs - -500)).toBeLessThanOrEqual(offsetErrorBoundMs(s));
    expect(s.offsetMs).toBe(-486);
  });
});

describe('bestClockSample', () => {
  it('keeps the sample with the smallest RTT', () => {
    const samples = [
      { offsetMs: 7, rttMs: 9 },
      { offsetMs: 5, rttMs: 1.5 },
      { offsetMs: 2, rttMs: 4 },
    ];
    expect(bestClockSample(samples)).toEqual({ offsetMs: 5, rttMs: 1.5 });
  });

  it('has none for no samples', () => {
    expect(bestClockSample([])).toBeUndefined();
  });
});
