/**
 * Watch figures live where each actor type writes them: a controller group's `watch` (with the
 * events it expected and lost, and their latency), a kubelet group's `watch` (its pod watch), a
 * scheduler group's `scheduling.watch` (its informer). The verdict and the watch-latency chart
 * read all of them, as `heartbeatsOf` does the kubelets' heartbeats.
 */
import { describe, expect, it } from 'vitest';
import { createAccumulator, encode, record, summarizeMs } from '../../../src/metrics/histogram.js';
import { buildComparisonReport } from '../../../src/report/comparison.js';
import { buildRunReport, watchOf } from '../../../src/report/model.js';
import type { ReportableResult } from '../../../src/report/sections.js';
import { loadFixture } from './fixture.js';

const fixture = loadFixture();
const requests = fixture.actors.tenant!.requests;

function latency(...ms: number[]) {
  const h = createAccumulator();
  for (const v of ms) record(h, v * 1000);
  return { latencyMs: summarizeMs(h), latencyHistogram: encode(h) };
}

/** `controllerSections(…).watch`, in part. */
const controllerWatch = (lost: number) => ({
  events: 40,
  bookmarks: 2,
  restarts: 1,
  relists: 0,
  failures: 0,
  lost,
  acknowledgedWrites: 20,
  expectedDeliveries: 40 + lost,
  unmatched: 0,
  beforeAck: 0,
  ...latency(5, 10, 80),
});
/** `kubeletSections(…).watch` with `watchPods`. */
const kubeletWatch = { opened: 3, restarts: 2, relists: 1, bookmarks: 0, events: 7, errors: 0 };
/** `schedulerSections(…).scheduling`. */
const scheduling = {
  bound: 5,
  bindConflicts: 0,
  bindErrors: 0,
  latencyMs: latency(1).latencyMs,
  latencyHistogram: '',
  watch: { events: 5, restarts: 0, relists: 1, failures: 0 },
};

function withGroups(actors: Record<string, Record<string, unknown>>): ReportableResult {
  return {
    ...fixture,
    actors: {
      ...fixture.actors,
      ...Object.fromEntries(
        Object.entries(actors).map(([name, sections]) => [
          name,
          { type: name, count: 2, requests, ...sections },
        ]),
      ),
    },
  };
}

const watchVerdict = (r: ReportableResult) =>
  buildRunReport(r).verdicts.find((v) => v.topic === 'watch');

describe('the watch verdict', () => {
  it.each<[string, ReportableResult, 'ok' | 'bad', string]>([
    [
      "a controller's lost events",
      withGroups({ controller: { watch: controllerWatch(3) } }),
      'bad',
      '3 watch event(s) expected but never seen; watch latency p99 80.1 ms, 1 restart(s), 0 relist(s).',
    ],
    [
      'a controller that saw everything',
      withGroups({ controller: { watch: controllerWatch(0) } }),
      'ok',
      'Watches saw every expected event (40); watch latency p99 80.1 ms, 1 restart(s), 0 relist(s).',
    ],
    [
      "a kubelet's pod watch, which has no latency",
      withGroups({ kubelet: { watch: kubeletWatch } }),
      'ok',
      'Watches received 7 event(s); 2 restart(s), 1 relist(s).',
    ],
    [
      "a scheduler's informer, one section down",
      withGroups({ scheduler: { scheduling } }),
      'ok',
      'Watches received 5 event(s); 0 restart(s), 1 relist(s).',
    ],
    [
      'every group added up',
      withGroups({
        controllers: { watch: controllerWatch(2) },
        others: { watch: controllerWatch(1) },
        kubelet: { watch: kubeletWatch },
        scheduler: { scheduling },
      }),
      'bad',
      '3 watch event(s) expected but never seen; watch latency p99 80.1 ms, 4 restart(s), 2 relist(s).',
    ],
  ])('reads %s', (_, result, level, text) => {
    expect(watchVerdict(result)).toEqual({ level, topic: 'watch', text });
  });

  it('prefers the result-level watch section, like heartbeats', () => {
    const r = { ...withGroups({ controller: { watch: controllerWatch(3) } }) };
    const top = { events: 1, lost: 0, restarts: 0, relists: 0, ...latency(2) };
    expect(watchOf({ ...r, watch: top })).toBe(top);
  });

  it('is absent without watchers', () => {
    expect(watchVerdict(fixture)).toBeUndefined();
    expect(watchOf(withGroups({ kubelet: { heartbeats: { renewals: 1 } } }))).toBeUndefined();
  });
});

describe('watch latency', () => {
  it("charts the controllers' merged latency", () => {
    const r = withGroups({
      a: { watch: controllerWatch(0) },
      b: { watch: controllerWatch(0) },
      kubelet: { watch: kubeletWatch },
    });
    expect(watchOf(r)?.latencyMs.count).toBe(6);
    expect(buildRunReport(r).charts.map((c) => c.id)).toContain('watch-latency');
  });

  it('sets lost events of a comparison side by side', () => {
    const runs = [controllerWatch(0), controllerWatch(4)].map((watch) =>
      withGroups({ controller: { watch } }),
    );
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
