/**
 * NTP-style clock offset and round-trip time between a coordinator and an agent (RFC 5905's
 * on-wire calculation). The coordinator stamps a probe when it sends it (t0), the agent when it
 * receives it (t1) and sends the reply (t2), the coordinator when the reply arrives (t3), each
 * by its own wall clock. With symmetric paths the offset is exact; an asymmetric path errs by
 * at most half the RTT, so the sample with the smallest RTT bounds the error best: that is the
 * one kept (as NTP's clock filter does).
 */

export interface ClockStamps {
  /** Coordinator clock, probe sent. */
  readonly t0: number;
  /** Agent clock, probe received. */
  readonly t1: number;
  /** Agent clock, reply sent. */
  readonly t2: number;
  /** Coordinator clock, reply received. */
  readonly t3: number;
}

export interface ClockSample {
  /** Agent clock minus coordinator clock, ms. */
  readonly offsetMs: number;
  /** Round trip minus the agent's own processing time, ms. */
  readonly rttMs: number;
}

export function clockSample({ t0, t1, t2, t3 }: ClockStamps): ClockSample {
  return { offsetMs: (t1 - t0 + (t2 - t3)) / 2, rttMs: Math.max(0, t3 - t0 - (t2 - t1)) };
}

/** The sample with the smallest RTT (the first of equals); undefined for none. */
export function bestClockSample(samples: readonly ClockSample[]): ClockSample | undefined {
  let best: ClockSample | undefined;
  for (const s of samples) if (best === undefined || s.rttMs < best.rttMs) best = s;
  return best;
}

/** The most an offset can be wrong by: half its sample's RTT. */
export function offsetErrorBoundMs(sample: ClockSample): number {
  return sample.rttMs / 2;
}
