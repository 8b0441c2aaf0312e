import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  finishMeasurements,
  reportToMeasurements,
  startMeasurements,
  type Measurement,
  type RunFields,
} from '../../../src/engine/measurement.js';
import type { WorkerReport } from '../../../src/engine/protocol.js';
import { fairnessMeasurement, serverMeasurement } from '../../../src/engine/server-side.js';
import { fairnessSection } from '../../../src/metrics/fairness.js';
import { generatorHealth } from '../../../src/metrics/generator-health.js';
import type { MergedRun } from '../../../src/metrics/timeline-aggregator.js';
import type { RunResult } from '../../../src/result/result.js';

const recorded = async () =>
  JSON.parse(
    await readFile(new URL('../../fixtures/results/tenant-smoke.json', import.meta.url), 'utf8'),
  ) as RunResult;

const nothingMeasured: MergedRun = { timeline: [], totals: [] };

describe('serverMeasurement', () => {
  it('adds nothing when the run failed before it started (no scrape, no error)', async () => {
    const m = serverMeasurement();
    expect(await m.finish({ result: await recorded(), measured: nothingMeasured })).toEqual({});
  });
});

describe('fairnessMeasurement', () => {
  it('computes fairness from the groups, with the latency pairs given', async () => {
    const result = await recorded();
    const [victim, noisy] = Object.keys(result.actors);
    const pairs = [{ victim: victim!, noisy: noisy ?? victim! }];
    const m = fairnessMeasurement({ latencyPairs: pairs });
    const sections = await m.finish({ result, measured: nothingMeasured });
    expect(sections).toEqual({ fairness: fairnessSection(result.actors, { pairs }) });
    expect(sections.fairness.latencyRatios).toHaveLength(1);
  });
});

/** A measurement that logs each call as `<name>.<hook>` and adds `sections` when it finishes. */
function logging<S extends Partial<RunResult>>(
  name: string,
  log: string[],
  sections: S,
  seen?: (result: Partial<RunResult>) => void,
): Measurement<S> {
  return {
    start: () => {
      log.push(`${name}.start`);
      return Promise.resolve();
    },
    interval: (report) => void log.push(`${name}.interval ${report.type} ${report.workerIndex}`),
    finish: ({ result }) => {
      log.push(`${name}.finish`);
      seen?.(result);
      return Promise.resolve(sections);
    },
  };
}

const loop = { eventLoopDelayMs: { p99: 0, max: 0 }, utilization: 0 };
const report = (type: 'interval' | 'done', workerIndex: number): WorkerReport =>
  type === 'interval'
    ? { type, workerIndex, snapshots: [], loop }
    : {
        type,
        workerIndex,
        snapshots: [],
        abandoned: 0,
        health: generatorHealth(loop, 0),
      };

describe('the measurement loop', () => {
  it('calls start, interval and finish of each measurement in list order', async () => {
    const log: string[] = [];
    const list = [logging('a', log, {}), logging('b', log, {})] as const;
    const run = (await recorded()) as RunFields;
    await startMeasurements(list, { admin: undefined as never });
    reportToMeasurements(list, report('interval', 1));
    reportToMeasurements(list, report('done', 0));
    await finishMeasurements(list, nothingMeasured, run);
    expect(log).toEqual([
      'a.start',
      'b.start',
      'a.interval interval 1',
      'b.interval interval 1',
      'a.interval done 0',
      'b.interval done 0',
      'a.finish',
      'b.finish',
    ]);
  });

  it('skips the hooks a measurement leaves out', async () => {
    const only: Measurement<{ serverError: string }> = {
      finish: () => Promise.resolve({ serverError: 'none' }),
    };
    await startMeasurements([only], { admin: undefined as never });
    reportToMeasurements([only], report('done', 0));
    const run = (await recorded()) as RunFields;
    expect((await finishMeasurements([only], nothingMeasured, run)).serverError).toBe('none');
  });

  it("merges each one's sections over the result, where later ones see earlier ones'", async () => {
    const { server: _server, fairness: _fairness, ...run } = await recorded();
    const seen: Partial<RunResult>[] = [];
    const list = [
      logging('status', [], { status: 'degraded' as const, reason: 'unreachable' }, (r) =>
        seen.push(r),
      ),
      logging('error', [], { serverError: 'scrape failed' }, (r) => seen.push(r)),
      logging('last', [], {}, (r) => seen.push(r)),
    ] as const;
    const result = await finishMeasurements(list, nothingMeasured, run);
    expect(seen[0]).toBe(run);
    expect(seen[1]).toMatchObject({ status: 'degraded', reason: 'unreachable' });
    expect(seen[1]?.serverError).toBeUndefined();
    expect(seen[2]).toMatchObject({ status: 'degraded', serverError: 'scrape failed' });
    expect(result).toEqual({
      ...run,
      status: 'degraded',
      reason: 'unreachable',
      serverError: 'scrape failed',
    });
  });
});
