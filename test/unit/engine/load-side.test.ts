import { describe, expect, it } from 'vitest';
import {
  generatorMeasurement,
  targetHealthMeasurement,
  writeLedgerMeasurement,
} from '../../../src/engine/load-side.js';
import type { RunFields } from '../../../src/engine/measurement.js';
import type { WorkerReport } from '../../../src/engine/protocol.js';
import type { GeneratorHealth } from '../../../src/metrics/generator-health.js';
import { mergeSnapshots, type MergedRun } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import { transportErrorCode } from '../../../src/metrics/timeline-snapshot.js';
import { WriteLedger } from '../../../src/metrics/write-ledger.js';
import { groupResult } from '../../../src/result/group-result.js';
import type { ActorGroupResultOf } from '../../../src/result/result.js';
import type { Scenario } from '../../../src/actors/scenario.js';
import { scenarioFromYaml } from '../../support/scenario.js';

const scenario: Scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: load-side }
spec:
  duration: 10s
  actors:
    - { name: t, type: tenant, count: 2, rate: 10/s, maxInFlight: 1, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
    - { name: c, type: controller, count: 2, rate: 1/s, objects: 4, watchersPerSet: 2 }
`);

/** Interval 0 of each group, from what its instances recorded (`record` calls the collector). */
function measuredRun(record: Record<string, (c: GroupIntervalCollector) => void>): MergedRun {
  return mergeSnapshots(
    Object.entries(record).flatMap(([group, fill]) => {
      const c = new GroupIntervalCollector(group);
      fill(c);
      return c.snapshot(0);
    }),
  );
}

/** The coordinator's fields of a result, groups from `measured` without the ledger's counters. */
function runFields(measured: MergedRun, status: RunFields['status'] = 'completed'): RunFields {
  const totals = new Map(measured.totals.map((t) => [t.group, t]));
  return {
    schemaVersion: 1,
    tool: { name: 'apfbench', version: '0.0.0' },
    runId: 'load-side-1',
    scenario,
    target: { server: 'https://127.0.0.1:6443', serverVersion: 'v1.35.0', local: true },
    startedAt: '2026-12-02T00:00:00.000Z',
    endedAt: '2026-12-02T00:00:10.000Z',
    status,
    workers: 1,
    actors: Object.fromEntries(
      scenario.spec.actors.map((g) => [g.name, groupResult(g, totals.get(g.name))]),
    ),
    timeline: [...measured.timeline],
    cleanup: { policy: 'always', deleted: 0, errors: [] },
  };
}

const ok = (n: number) => (c: GroupIntervalCollector) => {
  for (let i = 0; i < n; i++) {
    c.sent(0);
    c.completed({
      verb: 'GET',
      resource: 'configmaps',
      code: '200',
      latencyUs: 2000,
      serviceTimeUs: 2000,
      intendedMs: 0,
    });
  }
};

describe('targetHealthMeasurement', () => {
  const refused = (c: GroupIntervalCollector) => {
    ok(8)(c);
    for (let i = 0; i < 2; i++) {
      c.sent(0);
      c.completed({
        verb: 'GET',
        resource: 'configmaps',
        code: transportErrorCode('ECONNREFUSED'),
        latencyUs: 10,
        serviceTimeUs: 10,
        intendedMs: 0,
      });
    }
  };

  it('adds the section, and turns a completed run with no answers into a degraded one', async () => {
    const measured = measuredRun({ t: refused });
    const sections = await targetHealthMeasurement().finish({
      result: runFields(measured),
      measured,
    });
    expect(sections.targetHealth).toMatchObject({
      sent: 10,
      transportErrors: 2,
      ratio: 0.2,
      unreachable: true,
      firstErrorT: 0,
    });
    expect(sections.status).toBe('degraded');
    expect(sections.reason).toMatch(/^2 of 10 sends \(20\.0 %\) got no HTTP response/);
  });

  it('leaves the status of a run that failed, or whose server answered, as it was', async () => {
    const failed = measuredRun({ t: refused });
    const fine = measuredRun({ t: ok(10) });
    const m = targetHealthMeasurement();
    const whenFailed = await m.finish({ result: runFields(failed, 'failed'), measured: failed });
    const whenFine = await m.finish({ result: runFields(fine), measured: fine });
    expect(Object.keys(whenFailed)).toEqual(['targetHealth']);
    expect(whenFailed.targetHealth.unreachable).toBe(true);
    expect(whenFine).toEqual({
      targetHealth: {
        sent: 10,
        transportErrors: 0,
        byCode: {},
        ratio: 0,
        threshold: 0.05,
        unreachable: false,
      },
    });
  });
});

describe('writeLedgerMeasurement', () => {
  it("adds each writing group's ledger counters to its result, and leaves the others", async () => {
    const m = writeLedgerMeasurement(scenario, 10);
    // What the workers do through the shared buffer: the controller group (tag 1) writes three
    // objects, each for 2 watchers; the watchers see 2, 1 and 0 of them.
    const worker = WriteLedger.attach(m.workerInit.ledger);
    worker.record('101', 1, 1, 2, 1);
    worker.record('102', 1, 1, 2, 1);
    worker.record('103', 1, 1, 2, 1);
    worker.observe('101');
    worker.observe('101');
    worker.observe('102');
    const measured = measuredRun({
      t: ok(4),
      c: (c) => {
        c.count('watch.events', 3);
        ok(3)(c);
      },
    });
    const result = runFields(measured);
    const { actors } = await m.finish({ result, measured });
    expect(actors['t']).toBe(result.actors['t']);
    const watch = (actors['c'] as ActorGroupResultOf<'controller'>).watch;
    expect(watch).toMatchObject({ lost: 3, acknowledgedWrites: 3, expectedDeliveries: 6 });
    const before = (result.actors['c'] as ActorGroupResultOf<'controller'>).watch;
    expect(before).toMatchObject({ lost: 0, acknowledgedWrites: 0, expectedDeliveries: 0 });
    expect(actors['c']?.requests).toEqual(result.actors['c']?.requests);
  });

  it('adds nothing to any group when nothing was written', async () => {
    const measured = measuredRun({ t: ok(1) });
    const result = runFields(measured);
    const { actors } = await writeLedgerMeasurement(scenario, 10).finish({ result, measured });
    expect(actors).toEqual(result.actors);
  });
});

describe('generatorMeasurement', () => {
  const health = (over: Partial<GeneratorHealth>): GeneratorHealth => ({
    eventLoopDelayMs: { p99: 1, max: 2 },
    utilization: 0.2,
    scheduleLagMs: { p99: 0.5 },
    saturated: false,
    reasons: [],
    ...over,
  });
  const done = (workerIndex: number, h: GeneratorHealth, abandoned: number): WorkerReport => ({
    type: 'done',
    workerIndex,
    snapshots: [],
    health: h,
    abandoned,
  });

  it("judges the workers' final health together, with the groups that dropped sends", async () => {
    const m = generatorMeasurement(scenario);
    m.interval?.({
      type: 'interval',
      workerIndex: 0,
      snapshots: [],
      loop: { eventLoopDelayMs: { p99: 500, max: 900 }, utilization: 1 },
    });
    m.interval?.(
      done(1, health({ scheduleLagMs: { p99: 20 }, saturated: true, reasons: ['lag'] }), 3),
    );
    m.interval?.(done(0, health({ eventLoopDelayMs: { p99: 4, max: 9 } }), 2));
    const measured = measuredRun({
      t: (c) => {
        ok(5)(c);
        c.dropped(0);
      },
    });
    const { generator } = await m.finish({ result: runFields(measured), measured });
    expect(generator).toMatchObject({
      eventLoopDelayMs: { p99: 4, max: 9 },
      utilization: 0.2,
      scheduleLagMs: { p99: 20 },
      saturated: true,
      reasons: ['worker 1: lag'],
      capped: true,
      abandonedRequests: 5,
    });
    expect(generator.cappedReasons).toHaveLength(1);
    expect(generator.cappedReasons?.[0]).toMatch(/^t: 1 of 6 due sends dropped at maxInFlight 1/);
  });

  it('reports an idle generator when no worker reported (the run failed before the load)', async () => {
    const measured = measuredRun({});
    const { generator } = await generatorMeasurement(scenario).finish({
      result: runFields(measured, 'failed'),
      measured,
    });
    const none = { saturated: false, reasons: [], capped: false, cappedReasons: [] };
    expect(generator).toMatchObject({ ...none, utilization: 0, abandonedRequests: 0 });
    expect(generator.scheduleLagMs.p99 + generator.eventLoopDelayMs.max).toBe(0);
  });
});
