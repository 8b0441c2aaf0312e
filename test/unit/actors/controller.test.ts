import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY,
  retryOnConflict,
  type AttemptOutcome,
} from '../../../src/actors/conflict-retry.js';
import {
  ControllerMetric,
  controllerExpectedWrites,
  controllerPlacement,
  controllerSections,
} from '../../../src/actors/controller/index.js';
import { FakeClock } from '../../../src/timing/clock.js';
import { createRng } from '../../../src/timing/random.js';
import { mergeSnapshots } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import type { ControllerActorGroup } from '../../../src/actors/controller/index.js';
import { scenarioFromYaml } from '../../support/scenario.js';

/** Runs retryOnConflict over scripted outcomes; returns its result and when each attempt ran. */
async function scripted(outcomes: AttemptOutcome[], backoff = DEFAULT_RETRY) {
  const clock = new FakeClock();
  const times: number[] = [];
  const done = retryOnConflict(
    (n) => {
      times.push(clock.now());
      return Promise.resolve(outcomes[n - 1] ?? 'conflict');
    },
    { backoff, clock, rng: createRng(1) },
  );
  await clock.advance(10_000);
  return { result: await done, times };
}

describe('retryOnConflict (client-go retry.DefaultRetry)', () => {
  it('writes at once without a conflict', async () => {
    const { result, times } = await scripted(['written']);
    expect(result).toEqual({ outcome: 'written', attempts: 1, conflicts: 0 });
    expect(times).toEqual([0]);
  });

  it('retries conflicts after 10–11 ms each and writes on the third attempt', async () => {
    const { result, times } = await scripted(['conflict', 'conflict', 'written']);
    expect(result).toEqual({ outcome: 'written', attempts: 3, conflicts: 2 });
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(10);
      expect(gap).toBeLessThanOrEqual(11);
    }
  });

  it('abandons after 5 conflicting attempts, without waiting after the last', async () => {
    const { result, times } = await scripted([]);
    expect(result).toEqual({ outcome: 'abandoned', attempts: 5, conflicts: 5 });
    expect(times).toHaveLength(5);
    expect(times[4]).toBeLessThanOrEqual(44);
  });

  it('stops at an error that is not a conflict', async () => {
    const { result } = await scripted(['conflict', 'failed']);
    expect(result).toEqual({ outcome: 'failed', attempts: 2, conflicts: 1 });
  });

  it('multiplies waits by factor', async () => {
    const { times } = await scripted([], { steps: 4, durationMs: 10, factor: 2, jitter: 0 });
    expect(times).toEqual([0, 10, 30, 70]);
  });
});

const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: ctl }
spec:
  duration: 10s
  actors:
    - { name: ctrl, type: controller, count: 5, rate: 2/s, watchersPerSet: 2, writersPerObject: 1 }
    - { name: plain, type: controller, count: 3, rate: 1/s }
`);
const [ctrl, plain] = scenario.spec.actors as ControllerActorGroup[];

describe('controller schema', () => {
  it('applies defaults (client-go DefaultRetry, one set, service-account identity)', () => {
    expect(plain).toStrictEqual({
      name: 'plain',
      type: 'controller',
      count: 3,
      identity: 'system:serviceaccount:apfbench:plain-{i}',
      rate: 1,
      arrival: 'constant',
      objects: 10,
      objectSize: 256,
      watchersPerSet: 3,
      writersPerObject: 3,
      pageSize: 500,
      watchTimeout: 300_000,
      watchGrace: 2000,
      maxInFlight: 4,
      conflictRetry: { steps: 5, duration: 10, factor: 1, jitter: 0.1 },
    });
  });
});

describe('controller placement', () => {
  it('splits instances into sets of watchersPerSet, the first writersPerObject of each writing', () => {
    const places = Array.from({ length: 5 }, (_, i) => controllerPlacement(ctrl!, i));
    expect(places.map((p) => [p.set, p.setSize, p.writer, p.creator])).toEqual([
      [0, 2, true, true],
      [0, 2, false, false],
      [1, 2, true, true],
      [1, 2, false, false],
      [2, 1, true, true],
    ]);
    // 3 writers at 2/s for 10 s.
    expect(controllerExpectedWrites(ctrl!, 10_000)).toBe(60);
    expect(controllerExpectedWrites(plain!, 10_000)).toBe(30);
  });
});

describe('controller sections', () => {
  it('reports conflict rate, retries per write (histogram of retries + 1) and per-set figures', () => {
    const c = new GroupIntervalCollector('ctrl');
    const write = (set: string, attempts: number) => {
      for (let i = 0; i < attempts; i++) {
        c.count(ControllerMetric.attempts);
        c.count(`${ControllerMetric.attempts}/${set}`);
      }
      for (let i = 1; i < attempts; i++) {
        c.count(ControllerMetric.count409);
        c.count(`${ControllerMetric.count409}/${set}`);
      }
      c.count(ControllerMetric.writes);
      c.count(`${ControllerMetric.writes}/${set}`);
      c.observe(ControllerMetric.retriesPerWrite, attempts);
      c.observe(`${ControllerMetric.retriesPerWrite}/${set}`, attempts);
    };
    write('0', 1);
    write('0', 1);
    write('0', 3);
    write('1', 2);
    c.count(ControllerMetric.events, 8);
    c.observe(ControllerMetric.latency, 2000);
    const [totals] = mergeSnapshots(c.snapshot(0)).totals;
    const { conflicts, watch } = controllerSections({
      counters: { ...totals!.counters, [ControllerMetric.lost]: 1 },
      measures: totals!.measures,
    });
    expect(conflicts).toMatchObject({ count409: 3, attempts: 7, rate: 0.4286, writes: 4 });
    expect(conflicts.retriesPerWrite).toMatchObject({ count: 4, p50: 0, max: 2, mean: 0.75 });
    expect(conflicts.bySet['0']).toMatchObject({ count409: 2, attempts: 5, rate: 0.4, writes: 3 });
    expect(conflicts.bySet['1']?.retriesPerWrite).toMatchObject({ count: 1, p50: 1, max: 1 });
    expect(watch).toMatchObject({ events: 8, lost: 1, relists: 0 });
    expect(watch.latencyMs.p50).toBe(2);
  });
});
