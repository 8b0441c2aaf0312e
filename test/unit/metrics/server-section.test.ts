import { describe, expect, it } from 'vitest';
import type { PriorityLevelSummary } from '../../../src/metrics/server-metrics.js';
import { agrees, crossCheck } from '../../../src/metrics/server-section.js';

const level = (flowSchemas: Record<string, Record<string, number>>) =>
  ({
    flowSchemas: Object.fromEntries(
      Object.entries(flowSchemas).map(([fs, rejected]) => [fs, { rejected }]),
    ),
  }) as unknown as PriorityLevelSummary;

describe('crossCheck', () => {
  it('sums the server rejections of the flow schemas apfbench used and attributes them per schema', () => {
    const check = crossCheck(
      {
        'global-default': level({ 'global-default': { 'queue-full': 40, 'time-out': 2 } }),
        'noisy-tenants': level({
          'noisy-tenants': { 'concurrency-limit': 10 },
          other: { 'queue-full': 99 },
        }),
      },
      {
        groups: {
          quiet: { byFlowSchema: { 'global-default': 100 } },
          noisy: { byFlowSchema: { 'noisy-tenants': 50 } },
          mixed: { byFlowSchema: { 'global-default': 1, 'noisy-tenants': 1 } },
        },
        throttledByGroup: { quiet: 41, noisy: 10, mixed: 1 },
      },
      60,
    );
    expect(check).toEqual({
      flowSchemas: ['global-default', 'noisy-tenants'],
      client429: 52,
      serverRejected: 52,
      server429: 60,
      agree: true,
      // A group in both schemas makes neither attributable.
      byFlowSchema: {},
    });
  });

  it.each([
    [0, 0, true],
    [100, 102, true],
    [1000, 1009, true],
    [1000, 1020, false],
    [0, 5, false],
  ])('client %i vs server %i agree: %s', (client, server, want) => {
    expect(agrees(client, server)).toBe(want);
  });
});
