import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summaryLines } from '../../../src/cli/summary.js';
import type { RunResult } from '../../../src/result/result.js';

const fixture = JSON.parse(
  readFileSync('test/fixtures/results/tenant-smoke.json', 'utf8'),
) as RunResult;

const withGenerator = (generator: Partial<RunResult['generator']>): RunResult => ({
  ...fixture,
  generator: { ...fixture.generator, ...generator },
});

describe('summaryLines', () => {
  it('ends with a healthy generator, and nothing about caps when every group offered its load', () => {
    const lines = summaryLines(withGenerator({ capped: false, cappedReasons: [] }));
    expect(lines.at(-1)).toMatch(/^ {2}generator healthy: event-loop delay p99 5.72 ms/);
    expect(lines.join('\n')).not.toMatch(/NOT OFFERED|SATURATED/);
  });

  it('says which group did not offer its intended load and why, without calling the generator saturated', () => {
    const reason =
      'tenant: 5 of 105 due sends dropped at maxInFlight 64 (64 ÷ 200/s = 320 ms allowed per response; service time mean 400 ms, p99 900 ms): the server answered slower than the cap allows, not the generator; a larger maxInFlight offers the intended load';
    const lines = summaryLines(withGenerator({ capped: true, cappedReasons: [reason] }));
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/^ {2}generator healthy: /),
      `  intended load NOT OFFERED by ${reason}`,
    ]);
  });

  it.each([
    [
      'host',
      /^ {2}host BUSY: worker 0: schedule lag p99 40 ms > 10 ms: sends went out late — host busy: the generator waited 1.3 s for CPU/,
    ],
    [
      'server',
      /^ {2}generator healthy, sends late after the server stalled: worker 0: schedule lag p99 40 ms/,
    ],
    [
      'generator',
      /^ {2}generator SATURATED: .* — generator saturated: its threads ran 80 ms of CPU/,
    ],
  ] as const)('words the generator line by the cause of late sends: %s', (lagCause, line) => {
    const lines = summaryLines(
      withGenerator({
        saturated: lagCause === 'generator',
        reasons: ['worker 0: schedule lag p99 40 ms > 10 ms: sends went out late'],
        lagCause,
        lagEvidence: {
          intervals: 6,
          wallMs: 6000,
          cpuMs: 80,
          runDelayMs: 1300,
          serverStalledMs: 6000,
        },
      }),
    );
    expect(lines.at(-1)).toMatch(line);
  });

  it('reads a result written before the cap judgement', () => {
    expect(summaryLines(fixture).at(-1)).toMatch(/^ {2}generator healthy: /);
  });
});
