import { describe, expect, it } from 'vitest';
import { buildRunReport } from '../../../src/report/model.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { seatRows, webhookRows } from '../../../src/report/webhooks.js';
import type { RunResult } from '../../../src/result/result.js';
import { loadFixture, serverWith } from './fixture.js';

const held = { count: 40, p50: 2001, p90: 2003, p99: 2010, p999: 2010, max: 2011, mean: 2002 };

function withWebhook(): RunResult {
  const r = loadFixture();
  const server = serverWith([
    { t: 1_000, priorityLevels: {} },
    { t: 21_000, priorityLevels: {} },
  ]);
  return {
    ...r,
    server: {
      ...server,
      flowControl: {
        'global-default': {
          dispatched: 40,
          rejected: {},
          waitCount: 40,
          waitSumSeconds: 0,
          executingSeats: 0,
          inqueueRequests: 0,
          nominalLimitSeats: 3,
          flowSchemas: {},
        },
      },
      execution: {
        'global-default': { count: 40, sumSeconds: 80, flowSchemas: {} },
        system: { count: 0, sumSeconds: 0, flowSchemas: {} },
      },
    },
    webhooks: [
      {
        name: 'slow',
        kind: 'validating',
        configuredName: 'slow.webhooks.apfbench.dev',
        latency: '2s',
        failureRatio: 0,
        timeoutSeconds: 10,
        failurePolicy: 'Fail',
        calls: 40,
        byOperation: { CREATE: 40 },
        allowed: 40,
        failuresReturned: 0,
        timedOut: 0,
        probes: 1,
        badRequests: 0,
        heldMs: held,
        server: { admissions: 40, sumSeconds: 80.4, rejected: 0, rejectionsByErrorType: {} },
      },
    ],
  };
}

describe('the webhooks section', () => {
  it("sets the webhook's figures next to the server's", () => {
    expect(webhookRows('run', withWebhook())).toEqual([
      {
        run: 'run',
        name: 'slow',
        kind: 'validating',
        latency: '2s',
        failurePolicy: 'Fail',
        calls: 40,
        heldP50Ms: 2001,
        heldP99Ms: 2010,
        failuresReturned: 0,
        timedOut: 0,
        serverAdmissions: 40,
        serverMeanMs: expect.closeTo(2010, 6),
        serverRejected: 0,
      },
    ]);
  });

  it('gives the seats held on average: execution seconds over the seconds between the scrapes', () => {
    expect(seatRows('run', withWebhook())).toEqual([
      {
        run: 'run',
        level: 'global-default',
        requests: 40,
        meanExecutionMs: 2000,
        seatsHeld: 4,
        nominalSeats: 3,
      },
    ]);
  });

  it('is in the report of a run with webhooks, and not in one without', () => {
    expect(buildRunReport(loadFixture()).webhooks).toBeUndefined();
    const md = renderMarkdown(buildRunReport(withWebhook()));
    expect(md).toContain(
      '| slow (validating) | 2s, Fail | 40 | 2 s | 2.01 s | 0 | 0 | 40 | 2.01 s | 0 |',
    );
    expect(md).toContain('| global-default | 40 | 2 s | 4.00 | 3 |');
  });
});
