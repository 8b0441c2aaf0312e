import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildRunReport } from '../../../src/report/model.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { crossCheckColumns } from '../../../src/report/tables.js';
import { parseRunResult, type RunResult } from '../../../src/result/result.js';
import { loadFixture, serverWith } from './fixture.js';

/**
 * A real run of the demo under k8s-defaults (`npm run demo` on a loaded 2-core machine), written
 * before cross-check differences were explained: the client saw 405 429s, the server rejected
 * 545, all with reason time-out; 208 noisy LISTs were still queued when the drain ran out.
 */
function demoRun(): RunResult {
  const path = new URL('../../fixtures/results/demo-k8s-defaults.json', import.meta.url);
  const text = readFileSync(path, 'utf8');
  return parseRunResult({ source: fileURLToPath(path), text, value: JSON.parse(text) });
}

const DEMO_EXPLANATION =
  "Cross-check with the server: the server rejected 545 requests in apfbench's flow schemas and apfbench received 405 429s; of the 140 more rejections on the server: 140 abandoned by apfbench before the server's 429 came (208 of its requests got no answer: the drain ran out or the client timed out).";

describe("the demo's 429 cross-check", () => {
  const model = buildRunReport(demoRun());

  it('explains the difference and passes', () => {
    const v = model.verdicts.find((x) => x.topic === 'cross-check');
    expect(v).toEqual({ level: 'ok', topic: 'cross-check', text: DEMO_EXPLANATION });
    expect(renderMarkdown(model)).toContain(`- ✅ ${DEMO_EXPLANATION}`);
  });

  it('has a table row with the parts', () => {
    expect(model.crossChecks).toEqual([
      {
        run: 'noisy-neighbor',
        client429: 405,
        serverRejected: 545,
        clientUnanswered: 208,
        abandoned: 140,
        inFlightAtEnd: 0,
        other: 0,
      },
    ]);
    const columns = crossCheckColumns(false);
    expect(columns.map((c) => c.head)).toEqual([
      '429s received',
      'Rejected by the server',
      'Unanswered requests',
      'Abandoned before the 429',
      'In flight at the end',
      'Unexplained',
    ]);
    expect(columns.map((c) => c.cell(model.crossChecks[0]!))).toEqual([
      '405',
      '545',
      '208',
      '140',
      '0',
      '0',
    ]);
  });
});

describe('cross-check verdict', () => {
  const withCrossCheck = (
    crossCheck: Partial<NonNullable<RunResult['server']>['crossCheck']>,
  ): RunResult => {
    const base = loadFixture();
    const server = serverWith([]);
    return { ...base, server: { ...server, crossCheck: { ...server.crossCheck, ...crossCheck } } };
  };

  it('fails only for an unexplained remainder', () => {
    const model = buildRunReport(
      withCrossCheck({
        client429: 100,
        serverRejected: 130,
        agree: false,
        clientUnanswered: 10,
        difference: { abandoned: 10, inFlightAtEnd: 2, other: 18 },
        explained: false,
      }),
    );
    const v = model.verdicts.find((x) => x.topic === 'cross-check');
    expect(v?.level).toBe('bad');
    expect(v?.text).toBe(
      "Cross-check with the server: the server rejected 130 requests in apfbench's flow schemas and apfbench received 100 429s; of the 30 more rejections on the server: 10 abandoned by apfbench before the server's 429 came (10 of its requests got no answer: the drain ran out or the client timed out), 2 in flight at the end, 18 unexplained; server.crossCheck in result.json has the counts per flow schema.",
    );
  });

  it('says nothing when the counts are equal', () => {
    const model = buildRunReport(
      withCrossCheck({
        client429: 52,
        serverRejected: 52,
        clientUnanswered: 0,
        difference: { abandoned: 0, inFlightAtEnd: 0, other: 0 },
        explained: true,
      }),
    );
    expect(model.verdicts.map((v) => v.topic)).not.toContain('cross-check');
    expect(model.crossChecks).toEqual([]);
  });
});

describe('generator verdict by cause', () => {
  const withGenerator = (g: Partial<RunResult['generator']>): RunResult => {
    const base = loadFixture();
    return { ...base, generator: { ...base.generator, ...g } };
  };
  const late = ['worker 0: schedule lag p99 40 ms > 10 ms: sends went out late'];

  it.each([
    [
      'a busy host warns, not saturated',
      {
        saturated: false,
        reasons: late,
        lagCause: 'host',
        lagEvidence: {
          intervals: 6,
          wallMs: 6000,
          cpuMs: 80,
          runDelayMs: 1300,
          serverStalledMs: 0,
        },
      },
      'warn',
      "Sends went out late (worker 0: schedule lag p99 40 ms > 10 ms: sends went out late), not for the load generator's own work — host busy: the generator waited 1.3 s for CPU that other processes had (it ran 80 ms) in the 6 s it lagged: latencies include that wait; a quieter machine gives cleaner figures.",
    ],
    [
      'a stalled server is fine for the generator',
      {
        saturated: false,
        reasons: late,
        lagCause: 'server',
        lagEvidence: {
          intervals: 2,
          wallMs: 2000,
          cpuMs: 30,
          runDelayMs: 4,
          serverStalledMs: 2000,
        },
      },
      'ok',
      'The load generator kept up; sends went out late (worker 0: schedule lag p99 40 ms > 10 ms: sends went out late) — server stalled: 2 s of the 2 s the generator lagged came during or just after a spell in which the server answered none of the requests in flight; sends that waited for its answers went out late.',
    ],
    [
      'its own work is saturation',
      {
        saturated: true,
        reasons: late,
        lagCause: 'generator',
        lagEvidence: {
          intervals: 4,
          wallMs: 4000,
          cpuMs: 3900,
          runDelayMs: 20,
          serverStalledMs: 0,
        },
      },
      'bad',
      'The load generator was saturated (worker 0: schedule lag p99 40 ms > 10 ms: sends went out late): latencies include its own delay — generator saturated: its threads ran 3.9 s of CPU (and waited 20 ms for more) in the 4 s it lagged.',
    ],
  ] as const)('%s', (_name, g, level, text) => {
    const v = buildRunReport(withGenerator(g)).verdicts.find((x) => x.topic === 'generator');
    expect(v).toEqual({ level, topic: 'generator', text });
  });
});
