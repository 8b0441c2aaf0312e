import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../../src/actors/actor.js';
import { InFlight } from '../../../src/actors/open-loop.js';
import { sendRecorded } from '../../../src/actors/send.js';
import { FlowControlNames, type KubeClient, type KubeResponse } from '../../../src/kube/index.js';
import { fairnessSection } from '../../../src/metrics/fairness.js';
import { TimelineAggregator } from '../../../src/metrics/timeline-aggregator.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import type { IntervalSnapshot } from '../../../src/metrics/timeline-snapshot.js';
import type { RetryPolicy } from '../../../src/scenario/index.js';
import { FakeClock } from '../../../src/timing/clock.js';

const INTERVAL_MS = 1000;

interface GroupLoad {
  readonly name: string;
  readonly ratePerSec: number;
  readonly maxInFlight: number;
  /** Service time of attempt `n` (0-based) of request `i`, and its status. */
  readonly answer: (i: number, n: number) => { readonly ms: number; readonly status: number };
  readonly retry?: RetryPolicy;
}

/**
 * One worker's open loop on a fake clock, recorded as the engine records it: every request
 * through InFlight and sendRecorded, snapshots flushed per interval, and the coordinator's split
 * (every snapshot into the timeline, the measured window's into the totals).
 */
async function simulate(warmupMs: number, durationMs: number, loads: readonly GroupLoad[]) {
  const clock = new FakeClock();
  const window = { measuredFromMs: warmupMs, now: () => clock.now() };
  const collectors = loads.map((l) => new GroupIntervalCollector(l.name, window));
  const timeline = new TimelineAggregator(INTERVAL_MS);
  const measured = new TimelineAggregator(INTERVAL_MS);
  const ingest = (snapshots: IntervalSnapshot[]) => {
    for (const s of snapshots) {
      timeline.add(s);
      if (s.window === 'measured') measured.add(s);
    }
  };
  /** Requests of each group in flight when the warm-up ended (read before that instant's sends). */
  const inFlightAtWarmupEnd = new Map<string, number>();
  const active = loads.map(() => 0);
  clock.setTimer(warmupMs, () =>
    loads.forEach((l, g) => inFlightAtWarmupEnd.set(l.name, active[g]!)),
  );
  const inFlights: InFlight[] = [];
  // Every 429 retry sleeps on it.
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);

  loads.forEach((load, g) => {
    const collector = collectors[g]!;
    const ctx = {
      collector,
      names: new FlowControlNames(),
      originMs: 0,
      clock,
      signal,
      client: {} as KubeClient,
    } as unknown as ActorContext;
    const inFlight = new InFlight(collector, load.maxInFlight);
    inFlights.push(inFlight);
    let i = 0;
    const send = (intendedMs: number) => {
      const request = i++;
      let n = 0;
      active[g]!++;
      return sendRecorded(ctx, {
        verb: 'get',
        resource: 'configmaps',
        intendedMs,
        ...(load.retry === undefined ? {} : { retry: load.retry }),
        attempt: async (): Promise<KubeResponse> => {
          const { ms, status } = load.answer(request, n++);
          const sentAt = clock.now();
          await clock.sleepUntil(sentAt + ms);
          return {
            status,
            body: undefined,
            bytes: 0,
            sentAt,
            headersAt: clock.now(),
            doneAt: clock.now(),
            flowSchemaUID: 'global-default',
            priorityLevelUID: 'global-default',
            retryAfterSeconds: status === 429 ? 0.1 : undefined,
            error: undefined,
          };
        },
      }).finally(() => active[g]!--);
    };
    const periodMs = 1000 / load.ratePerSec;
    for (let k = 0; k * periodMs < durationMs; k++) {
      const t = k * periodMs;
      clock.setTimer(t, () => void inFlight.start(t, clock.now(), send));
    }
  });
  const endMs = durationMs + 10 * INTERVAL_MS;
  for (let index = 0; (index + 1) * INTERVAL_MS <= endMs; index++) {
    clock.setTimer((index + 1) * INTERVAL_MS, () =>
      ingest(collectors.flatMap((c) => c.snapshot(index))),
    );
  }
  await clock.advanceTo(endMs);
  await Promise.all(inFlights.map((f) => f.drained()));
  return { timeline: timeline.result(), measured: measured.result(), inFlightAtWarmupEnd };
}

/** Intended send times k × period in [from, to). */
const due = (ratePerSec: number, fromMs: number, toMs: number) => {
  const periodMs = 1000 / ratePerSec;
  let n = 0;
  for (let k = 0; k * periodMs < toMs; k++) if (k * periodMs >= fromMs) n++;
  return n;
};

// Slow answers (1.5 s), so that every second's requests end in the next two: what the warm-up
// sent is still in flight when the measured window starts.
const slow: GroupLoad = {
  name: 'slow',
  ratePerSec: 20,
  maxInFlight: 100,
  answer: () => ({ ms: 1500, status: 200 }),
};
// A capped group: at most 5 in flight, 400 ms each, at 20/s: most sends are dropped.
const capped: GroupLoad = {
  name: 'capped',
  ratePerSec: 20,
  maxInFlight: 5,
  answer: () => ({ ms: 400, status: 200 }),
};
// Every request's first attempt is a 429, retried 100 ms later and then served.
const throttled: GroupLoad = {
  name: 'throttled',
  ratePerSec: 10,
  maxInFlight: 100,
  answer: (_, n) => (n === 0 ? { ms: 700, status: 429 } : { ms: 900, status: 200 }),
  retry: { maxRetries: 3, maxBackoff: 5000 },
};

describe('window attribution: every request in the window of its intended send time', () => {
  it.each([
    { warmupMs: 3000, durationMs: 10_000 },
    { warmupMs: 2500, durationMs: 7000 },
    { warmupMs: 0, durationMs: 5000 },
  ])('warm-up $warmupMs ms of $durationMs ms', async ({ warmupMs, durationMs }) => {
    const loads = [slow, capped, throttled];
    const { timeline, measured, inFlightAtWarmupEnd } = await simulate(warmupMs, durationMs, loads);
    for (const load of loads) {
      const totals = measured.totals.find((t) => t.group === load.name)!;
      // Sent and dropped: exactly the sends due after the warm-up.
      expect(totals.sent + totals.dropped).toBe(due(load.ratePerSec, warmupMs, durationMs));
      // Never a completion of a send the window does not count.
      expect(totals.completed).toBeLessThanOrEqual(totals.sent);
      expect(totals.completed).toBeLessThanOrEqual(
        totals.sent + inFlightAtWarmupEnd.get(load.name)!,
      );
      // The run drained: every measured send completed, every 429 retried once.
      expect(totals.completed).toBe(totals.sent);
      expect(totals.byCode['200']).toBe(totals.sent);
      expect(totals.throttled).toBe(load === throttled ? totals.sent : 0);
    }
    expect(measured.totals.find((t) => t.group === 'capped')!.dropped).toBeGreaterThan(0);

    // The warm-up really left requests in flight: counted by completion time, as the timeline
    // counts, the measured window would have held more completions than sends.
    if (warmupMs > 0) {
      const rows = timeline.timeline.filter((r) => r.t * 1000 >= Math.ceil(warmupMs / 1000) * 1000);
      const slowRows = rows.filter((r) => r.group === 'slow');
      const slowTotals = measured.totals.find((t) => t.group === 'slow')!;
      expect(inFlightAtWarmupEnd.get('slow')).toBeGreaterThan(0);
      expect(slowRows.reduce((n, r) => n + r.completed, 0)).toBeGreaterThan(slowTotals.sent);
    }

    // The timeline keeps every request: both windows add up to the whole run.
    for (const load of loads) {
      const rows = timeline.timeline.filter((r) => r.group === load.name);
      const all = timeline.totals.find((t) => t.group === load.name)!;
      expect(rows.reduce((n, r) => n + r.sent + r.dropped, 0)).toBe(
        due(load.ratePerSec, 0, durationMs),
      );
      expect(rows.reduce((n, r) => n + r.completed, 0)).toBe(all.completed);
    }

    // Fairness over the measured totals: no group achieved more than it demanded.
    const fairness = fairnessSection(
      Object.fromEntries(
        measured.totals.map((t) => [t.group, { count: 1, requests: { ...t, total: t.completed } }]),
      ),
    );
    const groups = Object.values(fairness.priorityLevels['global-default']!.groups);
    expect(groups).toHaveLength(3);
    for (const g of groups) {
      expect(g.achieved).toBeLessThanOrEqual(g.demanded);
      expect(g.normalisedThroughput).toBeLessThanOrEqual(1);
    }
  });
});
