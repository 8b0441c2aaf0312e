import { describe, expect, it } from 'vitest';
import {
  emptyWebhookTally,
  recordWebhookCall,
  tallyFigures,
} from '../../../src/metrics/webhooks.js';

describe('a webhook tally', () => {
  it('counts calls by operation and outcome, and the latency of each it held', () => {
    const tally = emptyWebhookTally();
    const calls = [
      { operation: 'CREATE', dryRun: false, heldMs: 2000, outcome: 'allowed' },
      { operation: 'UPDATE', dryRun: false, heldMs: 2010, outcome: 'allowed' },
      { operation: 'UPDATE', dryRun: false, heldMs: 5, outcome: 'failed' },
      { operation: 'CREATE', dryRun: false, heldMs: 10_000, outcome: 'abandoned' },
      { operation: 'CREATE', dryRun: true, heldMs: 0.4, outcome: 'allowed' },
      { operation: '', dryRun: false, heldMs: 0.1, outcome: 'bad-request' },
    ] as const;
    for (const c of calls) recordWebhookCall(tally, c);
    const figures = tallyFigures(tally);
    expect(figures).toMatchObject({
      calls: 4,
      byOperation: { CREATE: 2, UPDATE: 2 },
      allowed: 2,
      failuresReturned: 1,
      timedOut: 1,
      probes: 1,
      badRequests: 1,
    });
    // Neither the probe nor the bad request is in the latency it added.
    expect(figures.heldMs.count).toBe(4);
    expect(figures.heldMs.max).toBeCloseTo(10_000, -1);
    expect(figures.heldMs.p50).toBeCloseTo(2000, -1);
  });

  it('reports an unused webhook as zeros', () => {
    const figures = tallyFigures(emptyWebhookTally());
    expect(figures.calls).toBe(0);
    expect(figures.heldMs).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  });
});
