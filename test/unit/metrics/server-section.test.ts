import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PriorityLevelSummary } from '../../../src/metrics/server-metrics.js';
import {
  agrees,
  buildServerSection,
  clientSideOf,
  crossCheck,
  explainDifference,
  explainedCrossCheck,
} from '../../../src/metrics/server-section.js';
import { parseRunResult } from '../../../src/result/result.js';

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

describe('explainDifference', () => {
  it.each([
    // The demo under k8s-defaults: 208 noisy LISTs still queued when the drain ran out; the
    // server rejected 140 of them when their queue wait timed out, after apfbench had gone.
    [
      'abandoned requests rejected later',
      { client429: 405, serverRejected: 545, serverLateRejections: 545, clientUnanswered: 208 },
      { abandoned: 140, inFlightAtEnd: 0, other: 0 },
    ],
    [
      'no difference',
      { client429: 50, serverRejected: 50, serverLateRejections: 10, clientUnanswered: 3 },
      { abandoned: 0, inFlightAtEnd: 0, other: 0 },
    ],
    // More than apfbench abandoned: the rest beyond the tolerance is unexplained.
    [
      'more than was abandoned',
      { client429: 100, serverRejected: 130, serverLateRejections: 130, clientUnanswered: 10 },
      { abandoned: 10, inFlightAtEnd: 2, other: 18 },
    ],
    // queue-full and concurrency-limit rejections answer at once: abandoned requests cannot
    // explain them, only rejections after a queue wait can.
    [
      'rejections that come at once',
      { client429: 100, serverRejected: 130, serverLateRejections: 5, clientUnanswered: 50 },
      { abandoned: 5, inFlightAtEnd: 2, other: 23 },
    ],
    [
      'more 429s at apfbench, within the tolerance',
      { client429: 302, serverRejected: 299, serverLateRejections: 0, clientUnanswered: 9 },
      { abandoned: 0, inFlightAtEnd: 3, other: 0 },
    ],
    [
      'more 429s at apfbench than the server rejected',
      { client429: 40, serverRejected: 10, serverLateRejections: 10, clientUnanswered: 9 },
      { abandoned: 0, inFlightAtEnd: 2, other: 28 },
    ],
  ] as const)('%s', (_name, input, want) => {
    expect(explainDifference(input)).toEqual(want);
  });
});

describe('crossCheck with the requests that got no answer', () => {
  it('records them and the explained difference', () => {
    const check = crossCheck(
      { 'global-default': level({ 'global-default': { 'queue-full': 40, 'time-out': 12 } }) },
      {
        groups: { noisy: { byFlowSchema: { 'global-default': 100 } } },
        throttledByGroup: { noisy: 45 },
        unansweredByGroup: { noisy: 20 },
      },
      52,
    );
    expect(check).toMatchObject({
      client429: 45,
      serverRejected: 52,
      agree: false,
      clientUnanswered: 20,
      difference: { abandoned: 7, inFlightAtEnd: 0, other: 0 },
      explained: true,
    });
  });
});

describe('clientSideOf', () => {
  it('sums 429s and unanswered requests per group over the whole timeline', () => {
    const row = (group: string, throttled: number, errorsByCode: Record<string, number>) => ({
      group,
      throttled,
      errorsByCode,
    });
    expect(
      clientSideOf({
        actors: { noisy: { requests: { byFlowSchema: { 'global-default': 9 } } } },
        timeline: [
          row('noisy', 3, { '429': 3 }),
          row('noisy', 1, {
            '429': 1,
            'error:ERR_POOL_DESTROYED': 4,
            'error:UND_ERR_HEADERS_TIMEOUT': 1,
            'error:ECONNRESET': 2,
          }),
        ],
      }),
    ).toEqual({
      groups: { noisy: { byFlowSchema: { 'global-default': 9 } } },
      throttledByGroup: { noisy: 4 },
      unansweredByGroup: { noisy: 5 },
    });
  });
});

describe('explainedCrossCheck', () => {
  it("works out a recorded demo run's difference, written before differences were explained", () => {
    const path = new URL('../../fixtures/results/demo-k8s-defaults.json', import.meta.url);
    const text = readFileSync(path, 'utf8');
    const r = parseRunResult({ source: fileURLToPath(path), text, value: JSON.parse(text) });
    const server = r.server!;
    expect(server.crossCheck.difference).toBeUndefined();
    expect(explainedCrossCheck({ ...r, server })).toMatchObject({
      client429: 405,
      serverRejected: 545,
      agree: false,
      clientUnanswered: 208,
      difference: { abandoned: 140, inFlightAtEnd: 0, other: 0 },
      explained: true,
    });
  });
});

describe('buildServerSection: the server process over the measured window', () => {
  const point = (t: number, cpuSeconds?: number, residentMemoryBytes?: number) => ({
    t,
    priorityLevels: {},
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
    ...(residentMemoryBytes === undefined ? {} : { residentMemoryBytes }),
  });
  const sampled = (series: ReturnType<typeof point>[]) => ({
    before: { scrapedAt: 0, families: new Map() },
    after: { scrapedAt: 0, families: new Map() },
    series,
    failedScrapes: 0,
  });
  const client = { groups: {}, throttledByGroup: {} };

  it('adds its CPU and peak memory within the window', () => {
    const section = buildServerSection(
      sampled([
        point(0, 100, 5e8),
        point(2000, 104, 6e8),
        point(4000, 110, 7e8),
        point(6000, 111, 9e8),
      ]),
      client,
      { intervalMs: 2000, window: { fromMs: 1000, toMs: 4000 } },
    );
    // Half of 100 → 104, all of 104 → 110.
    expect(section.cpuSeconds).toBe(8);
    expect(section.peakRssBytes).toBe(7e8);
  });

  it('leaves them out where the server does not expose them, or without a window', () => {
    const bare = buildServerSection(sampled([point(0), point(2000)]), client, {
      intervalMs: 2000,
      window: { fromMs: 0, toMs: 2000 },
    });
    expect(bare).not.toHaveProperty('cpuSeconds');
    expect(bare).not.toHaveProperty('peakRssBytes');
    const noWindow = buildServerSection(sampled([point(0, 1, 1), point(2000, 2, 1)]), client, {
      intervalMs: 2000,
    });
    expect(noWindow).not.toHaveProperty('cpuSeconds');
  });
});
