import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../../src/actors/actor.js';
import { controllerContext } from '../../../src/actors/controller/context.js';
import type { ControllerActorGroup } from '../../../src/actors/controller/index.js';
import { ledgerWatch } from '../../../src/actors/controller/watch.js';
import { WatchMetric } from '../../../src/actors/informer.js';
import {
  FlowControlNames,
  type KubeClient,
  type KubeObject,
  type ReceivedEvent,
  type WatchEvent,
} from '../../../src/kube/index.js';
import { mergeSnapshots } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import { WriteLedger } from '../../../src/metrics/write-ledger.js';
import { FakeClock } from '../../../src/timing/clock.js';
import { createRng } from '../../../src/timing/random.js';
import { kubeResponse } from '../../support/response.js';
import { scenarioFromYaml } from '../../support/scenario.js';

const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: relist }
spec:
  duration: 10s
  actors:
    - { name: ctrl, type: controller, count: 1, rate: 1/s, objects: 1 }
`);
const group = scenario.spec.actors[0] as ControllerActorGroup;

const cm = (resourceVersion: string): KubeObject => ({
  metadata: { name: 'o-0', namespace: 'default', resourceVersion },
});

const listResponse = (itemRv: string, listRv: string) =>
  kubeResponse(200, { metadata: { resourceVersion: listRv }, items: [cm(itemRv)] });

/** A watch stream that yields `events` and ends. */
function stream(events: WatchEvent[]) {
  return {
    status: 200,
    flowSchemaUID: undefined,
    priorityLevelUID: undefined,
    close: () => {},
    async *[Symbol.asyncIterator](): AsyncIterator<ReceivedEvent> {
      for (const e of events) yield { ...e, receivedAt: performance.now() };
    },
  };
}

/**
 * One controller watcher (set 0 of group 0) against a scripted server: LIST at 10; a watch that
 * delivers the write at 11, then 410; a relist whose LIST (at 20) shows the object at 18; a
 * watch from 20 that ends with nothing. Writes recorded in the ledger before it all.
 */
async function watchThroughRelist(ledger: WriteLedger) {
  const stop = new AbortController();
  const lists = [listResponse('10', '10'), listResponse('18', '20')];
  const watches: WatchEvent[][] = [
    [
      { type: 'MODIFIED', object: cm('11') },
      { type: 'ERROR', object: { code: 410 } as unknown as KubeObject },
    ],
  ];
  const watchedFrom: (string | undefined)[] = [];
  const client = {
    list: () => Promise.resolve(lists.shift()),
    watch: (_r: unknown, o: { resourceVersion?: string }) => {
      watchedFrom.push(o.resourceVersion);
      const events = watches.shift();
      if (events === undefined) stop.abort();
      return Promise.resolve(stream(events ?? []));
    },
  } as unknown as KubeClient;
  const collector = new GroupIntervalCollector('ctrl');
  const ctx: ActorContext = {
    client,
    names: new FlowControlNames(),
    collector,
    rng: createRng(1),
    clock: new FakeClock(),
    originMs: 0,
    deadlineMs: 10_000,
    signal: new AbortController().signal,
    run: { id: 'r1', scenario, labelKey: 'apfbench.dev/run', serverVersion: 'v1.37.2' },
    ledger,
  };
  const w = ledgerWatch(controllerContext(group, { index: 0, count: 1 }, ctx));
  expect(await w.informer.list(stop.signal)).toBe(true);
  await w.informer.watch(stop.signal);
  w.poll(true);
  const { totals } = mergeSnapshots(collector.snapshot(0));
  return { counters: totals[0]!.counters, watchedFrom };
}

describe('a relist covers the writes whose events it skipped', () => {
  it('counts writes up to the LIST as covered, not lost; later ones stay lost', async () => {
    const ledger = WriteLedger.create(64);
    const t = 1000;
    ledger.record('11', t, t, 1, 0, 0); // delivered as an event
    ledger.record('15', t, t, 1, 0, 0); // missed, superseded by 18: the LIST covers it
    ledger.record('18', t, t, 1, 0, 0); // missed, the LIST shows the object at 18
    ledger.record('16', t, t, 1, 0, 1); // another set's write: not this watcher's to cover
    ledger.record('30', t, t, 1, 0, 0); // after the LIST, never delivered: lost
    const { counters, watchedFrom } = await watchThroughRelist(ledger);
    expect(watchedFrom).toEqual(['10', '20']);
    expect(counters[WatchMetric.relists]).toBe(1);
    expect(ledger.scan()).toMatchObject({
      acknowledged: 5,
      expectedDeliveries: 5,
      delivered: 1,
      coveredByRelist: 2,
      lost: 2,
    });
  });
});
