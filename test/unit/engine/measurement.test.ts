import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fairnessMeasurement, serverMeasurement } from '../../../src/engine/server-side.js';
import { fairnessSection } from '../../../src/metrics/fairness.js';
import type { RunResult } from '../../../src/result/result.js';

const recorded = async () =>
  JSON.parse(
    await readFile(new URL('../../fixtures/results/tenant-smoke.json', import.meta.url), 'utf8'),
  ) as RunResult;

describe('serverMeasurement', () => {
  it('adds nothing when the run failed before it started (no scrape, no error)', async () => {
    const m = serverMeasurement();
    expect(await m.finish({ result: await recorded() })).toBeUndefined();
  });
});

describe('fairnessMeasurement', () => {
  it('computes fairness from the groups, with the latency pairs given', async () => {
    const result = await recorded();
    const [victim, noisy] = Object.keys(result.actors);
    const pairs = [{ victim: victim!, noisy: noisy ?? victim! }];
    const m = fairnessMeasurement({ latencyPairs: pairs });
    await m.start({ admin: undefined as never });
    const sections = await m.finish({ result });
    expect(sections).toEqual({ fairness: fairnessSection(result.actors, { pairs }) });
    expect(sections?.fairness.latencyRatios).toHaveLength(1);
  });
});
