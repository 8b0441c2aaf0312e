/**
 * Watch figures live where each actor type writes them: a controller group's `watch` (with the
 * events it expected and lost, and their latency), a kubelet group's `watch` (its pod watch), a
 * scheduler group's `scheduling.watch` (its informer). The verdict and the watch-latency chart
 * read all of them, narrowed by each group's type.
 */
import { describe, expect, it } from 'vitest';
import { ControllerMetric, controllerSections } from '../../../src/actors/controller/index.js';
import { SchedulerMetric, schedulerSections } from '../../../src/actors/scheduler/create.js';
import { KubeletMetric, kubeletSections } from '../../../src/metrics/heartbeats.js';
import { createAccumulator, encode, record, summarizeMs } from '../../../src/metrics/histogram.js';
import { buildComparisonReport } from '../../../src/report/comparison.js';
import { buildRunReport, watchOf } from '../../../src/report/model.js';
import type { ActorGroupResult, RunResult } from '../../../src/result/result.js';
import { loadFixture } from './fixture.js';

const fixture = loadFixture();
const requests = fixture.actors.tenant!.requests;

function latency(...ms: number[]) {
  const h = createAccumulator();
  for (const v of ms) record(h, v * 1000);
  return { summaryMs: summarizeMs(h), encoded: encode(h) };
}

/** A controller group that saw 40 events (latencies 5, 10 and 80 ms) and lost `lost`. */
const controller = (lost: number): ActorGroupResult => ({
  type: 'controller',
  count: 2,
  ...controllerSections({
    counters: {
      [ControllerMetric.events]: 40,
      [ControllerMetric.bookmarks]: 2,
      [ControllerMetric.restarts]: 1,
      [ControllerMetric.lost]: lost,
    },
    measures: { [ControllerMetric.latency]: latency(5, 10, 80) },
  }),
  requests,
});
/** A kubelet group, watching its pods (7 events, 2 restarts, 1 relist) or not. */
const kubelet = (watchPods = true): ActorGroupResult => ({
  type: 'kubelet',
  count: 2,
  ...kubeletSections(
    {
      counters: {
        [KubeletMetric.watchOpened]: 3,
        [KubeletMetric.watchRestarts]: 2,
        [KubeletMetric.watchRelists]: 1,
        [KubeletMetric.watchEvents]: 7,
      },
      measures: {},
    },
    { watchPods },
  ),
  requests,
});
/** A scheduler group whose informer saw 5 events and relisted once. */
const scheduler: ActorGroupResult = {
  type: 'scheduler',
  count: 1,
  ...schedulerSections({
    counters: { [SchedulerMetric.events]: 5, [SchedulerMetric.relists]: 1 },
    measures: { [SchedulerMetric.latency]: latency(1) },
  }),
  requests,
};

function withGroups(actors: Record<string, ActorGroupResult>): RunResult {
  return { ...fixture, actors: { ...fixture.actors, ...actors } };
}

const watchVerdict = (r: RunResult) => buildRunReport(r).verdicts.find((v) => v.topic === 'watch');

describe('the watch verdict', () => {
  it.each<[string, RunResult, 'ok' | 'bad', string]>([
    [
      "a controller's lost events",
      withGroups({ controller: controller(3) }),
      'bad',
      '3 watch event(s) expected but never seen; watch latency p99 80.1 ms, 1 restart(s), 0 relist(s).',
    ],
    [
      'a controller that saw everything',
      withGroups({ controller: controller(0) }),
      'ok',
      'Watches saw every expected event (40); watch latency p99 80.1 ms, 1 restart(s), 0 relist(s).',
    ],
    [
      "a kubelet's pod watch, which has no latency",
      withGroups({ kubelet: kubelet() }),
      'ok',
      'Watches received 7 event(s); 2 restart(s), 1 relist(s).',
    ],
    [
      "a scheduler's informer, one section down",
      withGroups({ scheduler }),
      'ok',
      'Watches received 5 event(s); 0 restart(s), 1 relist(s).',
    ],
    [
      'every group added up',
      withGroups({
        controllers: controller(2),
        others: controller(1),
        kubelet: kubelet(),
        scheduler,
      }),
      'bad',
      '3 watch event(s) expected but never seen; watch latency p99 80.1 ms, 4 restart(s), 2 relist(s).',
    ],
  ])('reads %s', (_, result, level, text) => {
    expect(watchVerdict(result)).toEqual({ level, topic: 'watch', text });
  });

  it('is absent without watchers', () => {
    expect(watchVerdict(fixture)).toBeUndefined();
    expect(watchOf(withGroups({ kubelet: kubelet(false) }))).toBeUndefined();
  });
});

describe('watch latency', () => {
  it("charts the controllers' merged latency", () => {
    const r = withGroups({
      a: controller(0),
      b: controller(0),
      kubelet: kubelet(),
    });
    expect(watchOf(r)?.latencyMs.count).toBe(6);
    expect(buildRunReport(r).charts.map((c) => c.id)).toContain('watch-latency');
  });

  it('sets lost events of a comparison side by side', () => {
    const runs = [0, 4].map((lost) => withGroups({ controller: controller(lost) }));
    const model = buildComparisonReport(
      {
        scenario: 'tenant-smoke',
        status: 'completed',
        repeat: 1,
        profiles: ['a', 'b'].map((name) => ({ name, file: `${name}.yaml`, apiserverArgs: [] })),
        runs: ['a', 'b'].map((profile, index) => ({
          index,
          profile,
          repeat: 0,
          status: 'completed',
          result: `${index}/result.json`,
          figures: {},
        })),
        summary: { baseline: 'a', figures: [] },
      },
      runs,
    );
    expect(model.verdicts.find((v) => v.topic === 'watch')).toEqual({
      level: 'bad',
      topic: 'watch',
      text: 'Watch events expected but never seen: b: 4 lost vs 0 under a.',
    });
    expect(model.charts.map((c) => c.id)).toContain('watch-latency');
  });
});
