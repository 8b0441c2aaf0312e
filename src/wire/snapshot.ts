/**
 * Between the engine's worker messages and their wire form. Lossless: a histogram's compressed
 * base64 encoding travels as its bytes and comes back as the same string, so that the
 * coordinator merges an agent's intervals exactly as it merges a local worker's.
 */
import type { GeneratorHealth, LoopSample } from '../metrics/generator-health.js';
import type { ProcessCost } from '../metrics/process-cost.js';
import { stallPhaseSchema, type Stall } from '../metrics/stalls.js';
import type { ThreadCpu } from '../metrics/thread-cpu.js';
import type { IntervalSnapshot } from '../metrics/timeline-snapshot.js';
import type { LedgerScan } from '../metrics/write-ledger.js';
import type {
  WireFinal,
  WireGeneratorHealth,
  WireIdentity,
  WireLedgerFigures,
  WireLoopSample,
  WireSnapshot,
} from './agent-wire.js';

const toBytes = (encoded: string): Uint8Array => Buffer.from(encoded, 'base64');
const fromBytes = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const mapValues = <A, B>(o: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

export function snapshotToWire(s: IntervalSnapshot): WireSnapshot {
  return {
    ...s,
    byCode: { ...s.byCode },
    byKey: { ...s.byKey },
    byPriorityLevel: { ...s.byPriorityLevel },
    byFlowSchema: { ...s.byFlowSchema },
    counters: { ...s.counters },
    latency: toBytes(s.latency),
    serviceTime: toBytes(s.serviceTime),
    scheduleLag: toBytes(s.scheduleLag),
    measures: mapValues(s.measures, toBytes),
  };
}

export function snapshotFromWire(w: WireSnapshot): IntervalSnapshot {
  return {
    intervalIndex: w.intervalIndex,
    group: w.group,
    window: w.window === 'warmup' ? 'warmup' : 'measured',
    sent: w.sent,
    completed: w.completed,
    dropped: w.dropped,
    byCode: w.byCode,
    errors: w.errors,
    retries: w.retries,
    throttled: w.throttled,
    latency: fromBytes(w.latency),
    serviceTime: fromBytes(w.serviceTime),
    scheduleLag: fromBytes(w.scheduleLag),
    clamped: w.clamped,
    byKey: w.byKey,
    byPriorityLevel: w.byPriorityLevel,
    byFlowSchema: w.byFlowSchema,
    counters: w.counters,
    measures: mapValues(w.measures, fromBytes),
  };
}

export function loopToWire(l: LoopSample): WireLoopSample {
  return {
    eventLoopDelayP99Ms: l.eventLoopDelayMs.p99,
    eventLoopDelayMaxMs: l.eventLoopDelayMs.max,
    utilization: l.utilization,
  };
}

export function loopFromWire(w: WireLoopSample | null): LoopSample {
  return {
    eventLoopDelayMs: { p99: w?.eventLoopDelayP99Ms ?? 0, max: w?.eventLoopDelayMaxMs ?? 0 },
    utilization: w?.utilization ?? 0,
  };
}

export function healthToWire(h: GeneratorHealth): WireGeneratorHealth {
  return {
    eventLoopDelayP99Ms: h.eventLoopDelayMs.p99,
    eventLoopDelayMaxMs: h.eventLoopDelayMs.max,
    utilization: h.utilization,
    scheduleLagP99Ms: h.scheduleLagMs.p99,
    saturated: h.saturated,
    reasons: [...h.reasons],
  };
}

export function healthFromWire(w: WireGeneratorHealth | null): GeneratorHealth {
  return {
    eventLoopDelayMs: { p99: w?.eventLoopDelayP99Ms ?? 0, max: w?.eventLoopDelayMaxMs ?? 0 },
    utilization: w?.utilization ?? 0,
    scheduleLagMs: { p99: w?.scheduleLagP99Ms ?? 0 },
    saturated: w?.saturated ?? false,
    reasons: w?.reasons ?? [],
  };
}

/** The parts of a worker's `done` report that are not its snapshots and health. */
export interface DoneExtras {
  readonly measuredCpu?: ThreadCpu;
  readonly worstStall?: Stall;
  readonly agentProcess?: ProcessCost;
}

export function doneExtrasToWire(
  d: DoneExtras,
): Pick<WireFinal, 'measuredCpu' | 'worstStall' | 'agentProcess'> {
  const p = d.agentProcess;
  return {
    measuredCpu: d.measuredCpu === undefined ? null : { ...d.measuredCpu },
    worstStall: d.worstStall === undefined ? null : { ...d.worstStall },
    agentProcess:
      p === undefined
        ? null
        : {
            measuredCpuSeconds: p.measuredCpuSeconds ?? 0,
            measuredKnown: p.measuredCpuSeconds !== undefined,
            runCpuSeconds: p.runCpuSeconds,
            peakRssBytes: p.peakRssBytes,
          },
  };
}

/** A field an older agent left unset stays absent; a phase this version does not know too. */
export function doneExtrasFromWire(
  w: Partial<Pick<WireFinal, 'measuredCpu' | 'worstStall' | 'agentProcess'>>,
): DoneExtras {
  const phase = stallPhaseSchema.safeParse(w.worstStall?.phase);
  const p = w.agentProcess;
  return {
    ...(w.measuredCpu == null
      ? {}
      : { measuredCpu: { runMs: w.measuredCpu.runMs, waitMs: w.measuredCpu.waitMs } }),
    ...(w.worstStall == null || !phase.success
      ? {}
      : { worstStall: { ms: w.worstStall.ms, phase: phase.data } }),
    ...(p == null
      ? {}
      : {
          agentProcess: {
            ...(p.measuredKnown ? { measuredCpuSeconds: p.measuredCpuSeconds } : {}),
            runCpuSeconds: p.runCpuSeconds,
            peakRssBytes: p.peakRssBytes,
          },
        }),
  };
}

/** An identity as the engine types it (kube/target.ts Identity), without the wire's empty fields. */
export interface PlainIdentity {
  readonly name: string;
  readonly token?: string;
  readonly credential?: string;
  readonly impersonate?: { user: string; groups?: readonly string[]; uid?: string };
  readonly clientCert?: { readonly cert: string; readonly key: string };
}

export function identityToWire(i: PlainIdentity): WireIdentity {
  return {
    name: i.name,
    token: i.token ?? '',
    clientCert: i.clientCert === undefined ? null : { ...i.clientCert },
    credential: i.credential ?? '',
    impersonate:
      i.impersonate === undefined
        ? null
        : {
            user: i.impersonate.user,
            groups: [...(i.impersonate.groups ?? [])],
            uid: i.impersonate.uid ?? '',
          },
  };
}

export function identityFromWire(w: WireIdentity | null): PlainIdentity {
  if (w === null) return { name: '' };
  const imp = w.impersonate;
  return {
    name: w.name,
    ...(w.token === '' ? {} : { token: w.token }),
    ...(w.clientCert === null ? {} : { clientCert: w.clientCert }),
    ...(w.credential === '' ? {} : { credential: w.credential }),
    ...(imp === null
      ? {}
      : {
          impersonate: {
            user: imp.user,
            ...(imp.groups.length === 0 ? {} : { groups: imp.groups }),
            ...(imp.uid === '' ? {} : { uid: imp.uid }),
          },
        }),
  };
}

export function ledgerToWire(scan: LedgerScan): WireLedgerFigures {
  const { byTag, ...totals } = scan;
  return { ...totals, byTag: [...byTag].map(([tag, t]) => ({ tag, ...t })) };
}

export function ledgerFromWire(w: WireLedgerFigures): LedgerScan {
  const { byTag, ...totals } = w;
  return {
    ...totals,
    byTag: new Map(byTag.map(({ tag, ...t }) => [tag, t])),
  };
}
