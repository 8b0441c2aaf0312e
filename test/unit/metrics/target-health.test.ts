import { describe, expect, it } from 'vitest';
import { describeUnreachable, targetHealth } from '../../../src/metrics/target-health.js';

describe('targetHealth', () => {
  it('counts transport errors across groups, leaving out what the drain abandoned', () => {
    const h = targetHealth(
      [
        { sent: 900, byCode: { '200': 700, '429': 50, 'error:ECONNREFUSED': 150 } },
        {
          sent: 100,
          byCode: { '200': 80, 'error:ECONNRESET': 10, 'error:ERR_POOL_DESTROYED': 10 },
        },
      ],
      [
        { t: 3, errorsByCode: { 'error:ECONNRESET': 10 } },
        { t: 4, errorsByCode: { 'error:ECONNREFUSED': 100, '429': 5 } },
        { t: 9, errorsByCode: { 'error:ECONNREFUSED': 50 } },
        { t: 12, errorsByCode: { 'error:ERR_POOL_DESTROYED': 10, '500': 1 } },
      ],
    );
    expect(h).toEqual({
      sent: 1000,
      transportErrors: 160,
      byCode: { 'error:ECONNREFUSED': 150, 'error:ECONNRESET': 10 },
      ratio: 0.16,
      threshold: 0.05,
      unreachable: true,
      firstErrorT: 3,
      lastErrorT: 9,
    });
    expect(describeUnreachable(h)).toBe(
      '160 of 1000 sends (16.0 %) got no HTTP response (ECONNREFUSED: 150, ECONNRESET: 10), from t=3s to t=9s: the API server was unreachable for part of the run',
    );
  });

  it.each([
    {
      name: 'a 429 storm is an answer, not an outage',
      byCode: { '429': 900, '200': 100 },
      unreachable: false,
    },
    {
      name: 'exactly at the threshold is not degraded',
      byCode: { '200': 95, 'error:ETIMEDOUT': 5 },
      unreachable: false,
    },
    { name: 'just above it is', byCode: { '200': 94, 'error:ETIMEDOUT': 6 }, unreachable: true },
  ])('$name', ({ byCode, unreachable }) => {
    expect(targetHealth([{ sent: 100, byCode }], []).unreachable).toBe(unreachable);
  });

  it('is healthy when nothing was sent', () => {
    const h = targetHealth([{ sent: 0, byCode: {} }], []);
    expect(h.ratio).toBe(0);
    expect(h.unreachable).toBe(false);
    expect(h.firstErrorT).toBeUndefined();
  });
});
