import { describe, expect, it } from 'vitest';
import {
  createAccumulator,
  createRecorder,
  encode,
  mergeEncoded,
  record,
  summarizeMs,
} from '../../../src/metrics/histogram.js';
import type { IntervalSnapshot } from '../../../src/metrics/timeline-snapshot.js';
import { TimelineAggregator } from '../../../src/metrics/timeline-aggregator.js';
import {
  coordinatorService,
  type AgentMessage,
  type CoordinatorMessage,
} from '../../../src/wire/agent-wire.js';
import {
  doneExtrasFromWire,
  doneExtrasToWire,
  identityFromWire,
  identityToWire,
  ledgerFromWire,
  ledgerToWire,
  snapshotFromWire,
  snapshotToWire,
  type PlainIdentity,
} from '../../../src/wire/snapshot.js';
import {
  WriteLedger,
  mergeLedgerScans,
  type LedgerScan,
} from '../../../src/metrics/write-ledger.js';

const encoded = (values: readonly number[]) => {
  const h = createRecorder();
  for (const v of values) record(h, v);
  return encode(h);
};
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

function snapshot(group: string, latencyUs: readonly number[]): IntervalSnapshot {
  return {
    intervalIndex: 0,
    group,
    window: 'measured',
    sent: latencyUs.length,
    completed: latencyUs.length,
    dropped: 0,
    byCode: { '200': latencyUs.length },
    errors: 0,
    retries: 0,
    throttled: 0,
    latency: encoded(latencyUs),
    serviceTime: encoded(latencyUs),
    scheduleLag: '',
    clamped: 0,
    byKey: { 'get configmaps 200': latencyUs.length },
    byPriorityLevel: { 'global-default': latencyUs.length },
    byFlowSchema: {},
    counters: { 'watch.events': 3 },
    measures: { 'watch.delay': encoded([5, 6]) },
  };
}

/** Through the real protobuf codec of the agent service, as an agent's Interval message. */
function overTheWire(s: IntervalSnapshot): IntervalSnapshot {
  const method = coordinatorService().service.Session!;
  const sent = { interval: { workerIndex: 2, snapshots: [snapshotToWire(s)] } };
  const received = method.requestDeserialize(method.requestSerialize(sent)) as AgentMessage;
  if (received.body !== 'interval') throw new Error(`got ${received.body}`);
  return snapshotFromWire(received.interval.snapshots[0]!);
}

describe('interval snapshots over the agent wire', () => {
  it('come back field for field, histograms as the same encodings', () => {
    const s = snapshot('a', [100, 200, 300]);
    expect(overTheWire(s)).toEqual(s);
  });

  it('keep an empty histogram empty', () => {
    const s = snapshot('a', []);
    expect(overTheWire(s).latency).toBe('');
  });
});

describe('identities over the agent wire', () => {
  /** Through the codec, as an instance of an Assignment message. */
  function overTheWire(identity: PlainIdentity): PlainIdentity {
    const method = coordinatorService().service.Session!;
    const sent = {
      assignment: {
        instances: [{ group: 'g', index: 0, count: 1, identity: identityToWire(identity) }],
      },
    };
    const received = method.responseDeserialize(
      method.responseSerialize(sent),
    ) as CoordinatorMessage;
    if (received.body !== 'assignment') throw new Error(`got ${received.body}`);
    return identityFromWire(received.assignment.instances[0]!.identity);
  }

  it.each<[string, PlainIdentity]>([
    ['a token', { name: 'tenant-0', token: 't0' }],
    [
      'impersonation',
      { name: 'u', token: 'admin', impersonate: { user: 'u', groups: ['g1', 'g2'], uid: '7' } },
    ],
    [
      'a client certificate',
      { name: 'system:node:n-0', clientCert: { cert: 'CERT PEM', key: 'KEY PEM' } },
    ],
  ])('come back as they went, with %s', (_, identity) => {
    expect(overTheWire(identity)).toEqual(identity);
  });
});

describe('merging two agents’ histograms is exact', () => {
  it('gives the exact p99 of the union, as one histogram of all values would', () => {
    // Agent 0 saw 1..1000 µs, agent 1 saw 1001..2000 µs: the union's p99 is its 1980th value.
    // Values below 2048 µs are exact at 3 significant digits, so nothing is approximated.
    const merged = createAccumulator();
    mergeEncoded(merged, overTheWire(snapshot('a', range(1, 1000))).latency);
    mergeEncoded(merged, overTheWire(snapshot('a', range(1001, 2000))).latency);
    const m = summarizeMs(merged);
    expect(m.count).toBe(2000);
    expect(m.p99).toBe(1.98);
    expect(m.p50).toBe(1);
    expect(m.max).toBe(2);
  });

  it('merges through the timeline aggregator as local workers’ intervals do', () => {
    const agents = new TimelineAggregator(1000);
    agents.add(overTheWire(snapshot('a', range(1, 1000))));
    agents.add(overTheWire(snapshot('a', range(1001, 2000))));
    const local = new TimelineAggregator(1000);
    local.add(snapshot('a', range(1, 1000)));
    local.add(snapshot('a', range(1001, 2000)));
    expect(agents.result()).toEqual(local.result());
    const [a] = agents.result().totals;
    expect(a!.latencyMs.count).toBe(2000);
    expect(a!.latencyMs.p99).toBe(1.98);
  });
});

/** A Final through the real codec: an agent's worker's done extras as the coordinator reads them. */
function finalOverTheWire(final: Record<string, unknown>) {
  const method = coordinatorService().service.Session!;
  const received = method.requestDeserialize(
    method.requestSerialize({ final: { workerIndex: 1, ...final } }),
  ) as AgentMessage;
  if (received.body !== 'final') throw new Error(`got ${received.body}`);
  return doneExtrasFromWire(received.final);
}

describe("a worker's CPU, worst stall and its agent's cost over the wire", () => {
  it('come back as they were sent', () => {
    const extras = {
      measuredCpu: { runMs: 812.5, waitMs: 40.1 },
      worstStall: { ms: 130.2, phase: 'start-up' as const },
      agentProcess: { measuredCpuSeconds: 1.25, runCpuSeconds: 2.5, peakRssBytes: 123_456_789 },
    };
    expect(finalOverTheWire(doneExtrasToWire(extras))).toEqual(extras);
    const unknownWindow = { agentProcess: { runCpuSeconds: 2.5, peakRssBytes: 1 } };
    expect(finalOverTheWire(doneExtrasToWire(unknownWindow))).toEqual(unknownWindow);
  });

  it("are absent from an older agent's Final, which has none of the fields", () => {
    expect(finalOverTheWire({ abandoned: 0 })).toEqual({});
  });
});

describe('write-ledger figures over the agent wire, merged', () => {
  it('come back as the scan they were, and two agents’ scans add tag by tag', () => {
    // Two agents' ledgers, each with the writes of its own object sets.
    const a = WriteLedger.create(64);
    a.record('10', 1, 1, 2, 0);
    a.observe('10');
    a.observe('10');
    a.record('11', 1, 1, 2, 1);
    a.observe('11');
    const b = WriteLedger.create(64);
    b.record('12', 1, 1, 3, 1);
    b.cover(1, 0, [{ after: '11', upTo: '12' }]);
    b.observe('12');
    const method = coordinatorService().service.Session!;
    const wire = (scan: LedgerScan) => {
      const sent = { final: { workerIndex: 0, ledger: ledgerToWire(scan) } };
      const got = method.requestDeserialize(method.requestSerialize(sent)) as AgentMessage;
      if (got.body !== 'final' || got.final.ledger === null) throw new Error('no ledger');
      return ledgerFromWire(got.final.ledger);
    };
    expect(wire(a.scan())).toEqual(a.scan());
    const merged = mergeLedgerScans([wire(a.scan()), wire(b.scan())]);
    expect(merged).toEqual({
      acknowledged: 3,
      expectedDeliveries: 7,
      delivered: 4,
      coveredByRelist: 1,
      lost: 2,
      overflow: 0,
      byTag: new Map([
        [0, { acknowledged: 1, expectedDeliveries: 2, coveredByRelist: 0, lost: 0 }],
        [1, { acknowledged: 2, expectedDeliveries: 5, coveredByRelist: 1, lost: 2 }],
      ]),
    });
  });
});
