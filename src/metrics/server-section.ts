/**
 * The `server` section of result.json: what kube-apiserver's own metrics say about a run, and
 * how they compare with apfbench's counts. Pure: it takes the sampler's snapshots and the
 * client-side figures as arguments.
 */
import { z } from 'zod';
import {
  flowControlPointSchema,
  flowControlSummary,
  priorityLevelSummarySchema,
  type PriorityLevelSummary,
  requestCountsByVerbResourceCode,
  type SamplerResult,
} from './server-metrics.js';
import { cpuSecondsWithin, peakRssWithin, type Span } from './process-cost.js';
import type { TimelineRow } from './timeline-aggregator.js';
import { ABANDONED_CODES, transportErrorCode } from './timeline-snapshot.js';

/** Per priority level at one scrape; `t` is the scrape time in ms since the epoch. */
export type ServerSeriesPoint = z.infer<typeof flowControlPointSchema>;

const counts = z.record(z.string(), z.number());

/**
 * How the counts' difference divides, each part a count of requests (never negative; which side
 * counted more is `serverRejected` against `client429`).
 */
export const rejectionDifferenceSchema = z.object({
  /**
   * Rejections the server counted for requests apfbench had abandoned before the server's 429
   * came: at most the requests that got no answer, and at most the server's rejections after a
   * wait in a queue (reason `time-out` or `cancelled`), the only ones that can come that late.
   */
  abandoned: z.number(),
  /**
   * Responses in flight when one side's count was read (the client counts each 429 as it is
   * read, the server at its final scrape): at most `agrees`' tolerance.
   */
  inFlightAtEnd: z.number(),
  /** The rest: unexplained. */
  other: z.number(),
});
export type RejectionDifference = z.infer<typeof rejectionDifferenceSchema>;

/** Client 429s against the server's APF rejections for the flow schemas apfbench's requests used. */
export const rejectionCrossCheckSchema = z.object({
  /** Flow schemas apfbench's requests were classified into (from the PF response headers). */
  flowSchemas: z.array(z.string()),
  /** 429 responses apfbench received over the whole run, warm-up included. */
  client429: z.number(),
  /** `apiserver_flowcontrol_rejected_requests_total` increase for those flow schemas. */
  serverRejected: z.number(),
  /** `apiserver_request_total{code="429"}` increase (all users, resource requests). */
  server429: z.number(),
  /** Whether the client and server counts agree (see `agrees`). */
  agree: z.boolean(),
  // The three below are absent from results written before differences were explained.
  /**
   * apfbench's requests that never got an answer (whole run): abandoned when the drain ran out,
   * or given up by the client's own timeout. The server may have rejected them after that.
   */
  clientUnanswered: z.number().optional(),
  /** Where `serverRejected − client429` comes from (see `explainDifference`). */
  difference: rejectionDifferenceSchema.optional(),
  /** Nothing of the difference is unexplained (`difference.other` is 0). */
  explained: z.boolean().optional(),
  /**
   * Per flow schema, where the client's 429s can be attributed: every group whose responses all
   * came from that one flow schema.
   */
  byFlowSchema: z.record(
    z.string(),
    z.object({ client429: z.number(), serverRejected: z.number() }),
  ),
});
export type RejectionCrossCheck = z.infer<typeof rejectionCrossCheckSchema>;

/** The `server` section of a result. */
export const serverSectionSchema = z.object({
  /** Time between periodic scrapes, ms. */
  intervalMs: z.number(),
  scrapes: z.object({ ok: z.number(), failed: z.number() }),
  /** APF per priority level (and flow schema within it), deltas over the whole run. */
  flowControl: z.record(z.string(), priorityLevelSummarySchema),
  /** Executing seats, in-queue requests, limits and cumulative counters per scrape. */
  series: z.array(flowControlPointSchema),
  /** `apiserver_request_total` increase by code (resource requests). */
  requestsByCode: counts,
  /** The same by `"<VERB> <resource> <code>"`. */
  requestsByVerbResourceCode: counts,
  /** The most watches open at once on the server, over the scrapes (`openWatches`). */
  peakOpenWatches: z.number().optional(),
  /**
   * CPU-seconds the server process used over the measured window (`process_cpu_seconds_total`,
   * taken to grow evenly between the scrapes around the window's edges). Absent where the server
   * does not expose it, or the run had no measured window.
   */
  cpuSeconds: z.number().optional(),
  /**
   * The largest resident memory of the server process the scrapes saw over the measured window,
   * bytes (`process_resident_memory_bytes`, from the scrape before the window to the one after
   * it). Absent where the server does not expose it.
   */
  peakRssBytes: z.number().optional(),
  /** `/debug/api_priority_and_fairness/dump_priority_levels` at the end of the run. */
  dumpPriorityLevels: z.string().optional(),
  crossCheck: rejectionCrossCheckSchema,
});
export type ServerSection = z.infer<typeof serverSectionSchema>;

/** What the client side contributes: per group, the flow schemas seen and 429s counted. */
export interface ClientSide {
  readonly groups: Readonly<
    Record<string, { readonly byFlowSchema: Readonly<Record<string, number>> }>
  >;
  /** Per group 429s over the whole run (timeline rows, warm-up included). */
  readonly throttledByGroup: Readonly<Record<string, number>>;
  /** Per group requests that got no answer over the whole run (`UNANSWERED_CODES`). */
  readonly unansweredByGroup?: Readonly<Record<string, number>>;
}

/**
 * The `byCode` keys of requests apfbench stopped waiting for before any answer came: abandoned
 * when the drain ran out, or timed out by the client before the response headers.
 */
export const UNANSWERED_CODES: readonly string[] = [
  ...ABANDONED_CODES,
  transportErrorCode('UND_ERR_HEADERS_TIMEOUT'),
];

/** The rejection reasons that come after a wait in a queue, when the client may be gone. */
const LATE_REJECTIONS = ['time-out', 'cancelled'];

/**
 * Pure. The client side of a result: flow schemas per group from its totals, 429s and requests
 * that got no answer per group from its timeline (whole run, warm-up included).
 */
export function clientSideOf(r: {
  readonly actors: Readonly<
    Record<
      string,
      { readonly requests: { readonly byFlowSchema: Readonly<Record<string, number>> } }
    >
  >;
  readonly timeline: readonly Pick<TimelineRow, 'group' | 'throttled' | 'errorsByCode'>[];
}): Required<ClientSide> {
  const throttledByGroup: Record<string, number> = {};
  const unansweredByGroup: Record<string, number> = {};
  for (const row of r.timeline) {
    throttledByGroup[row.group] = (throttledByGroup[row.group] ?? 0) + row.throttled;
    const unanswered = UNANSWERED_CODES.reduce((n, c) => n + (row.errorsByCode[c] ?? 0), 0);
    unansweredByGroup[row.group] = (unansweredByGroup[row.group] ?? 0) + unanswered;
  }
  return {
    groups: Object.fromEntries(
      Object.entries(r.actors).map(([name, g]) => [
        name,
        { byFlowSchema: g.requests.byFlowSchema },
      ]),
    ),
    throttledByGroup,
    unansweredByGroup,
  };
}

/**
 * How far client and server counts may differ for responses in flight when one of them was
 * read: 2, or 1 % of the larger.
 */
function tolerance(client: number, server: number): number {
  return Math.max(2, Math.floor(0.01 * Math.max(client, server)));
}

/**
 * Client and server counts agree when they differ by at most 2 or 1 %: a 429 the server
 * counted just before the final scrape may reach the client just after, and the other way round.
 */
export function agrees(client: number, server: number): boolean {
  return Math.abs(client - server) <= tolerance(client, server);
}

/** The figures `explainDifference` weighs. */
export interface DifferenceInput {
  readonly client429: number;
  readonly serverRejected: number;
  /** The server's rejections with a reason in `LATE_REJECTIONS`. */
  readonly serverLateRejections: number;
  /** apfbench's requests that got no answer. */
  readonly clientUnanswered: number;
}

/**
 * Pure. Divides `serverRejected − client429`. More rejections on the server are first requests
 * apfbench abandoned before the server's 429 came: a request still queued when the drain ran out
 * is rejected later, when its queue wait times out, and only the server counts it. What is left,
 * either way, is in flight at the end up to the tolerance of `agrees`, and beyond it unexplained.
 */
export function explainDifference(d: DifferenceInput): RejectionDifference {
  const diff = d.serverRejected - d.client429;
  const abandoned =
    diff > 0 ? Math.max(0, Math.min(diff, d.clientUnanswered, d.serverLateRejections)) : 0;
  const rest = Math.abs(diff) - abandoned;
  const inFlightAtEnd = Math.min(rest, tolerance(d.client429, d.serverRejected));
  return { abandoned, inFlightAtEnd, other: rest - inFlightAtEnd };
}

export function buildServerSection(
  sampled: SamplerResult,
  client: ClientSide,
  opts: { intervalMs: number; dump?: string | undefined; window?: Span | undefined },
): ServerSection {
  const { before, after } = sampled;
  const flowControl = flowControlSummary(before, after);
  const byVerb = requestCountsByVerbResourceCode(before, after);
  const requestsByCode: Record<string, number> = {};
  for (const [key, n] of Object.entries(byVerb)) {
    const code = key.slice(key.lastIndexOf(' ') + 1);
    requestsByCode[code] = (requestsByCode[code] ?? 0) + n;
  }
  return {
    intervalMs: opts.intervalMs,
    scrapes: { ok: sampled.series.length, failed: sampled.failedScrapes },
    flowControl,
    series: [...sampled.series],
    requestsByCode,
    requestsByVerbResourceCode: byVerb,
    ...peakOf(sampled.series),
    ...(opts.window === undefined ? {} : processCost(sampled.series, opts.window)),
    ...(opts.dump === undefined ? {} : { dumpPriorityLevels: opts.dump }),
    crossCheck: crossCheck(flowControl, client, requestsByCode['429'] ?? 0),
  };
}

function peakOf(series: SamplerResult['series']): { peakOpenWatches?: number } {
  let peak: number | undefined;
  for (const p of series) {
    if (p.openWatches !== undefined) peak = Math.max(peak ?? 0, p.openWatches);
  }
  return peak === undefined ? {} : { peakOpenWatches: peak };
}

/** The server process's CPU and peak memory over `window`, where its scrapes had them. */
function processCost(
  series: SamplerResult['series'],
  window: Span,
): Pick<ServerSection, 'cpuSeconds' | 'peakRssBytes'> {
  const readings = series.map((p) => ({
    t: p.t,
    cpuSeconds: p.cpuSeconds,
    rssBytes: p.residentMemoryBytes,
  }));
  const cpuSeconds = cpuSecondsWithin(readings, window);
  const peakRssBytes = peakRssWithin(readings, window);
  return {
    ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
    ...(peakRssBytes === undefined ? {} : { peakRssBytes }),
  };
}

export function crossCheck(
  flowControl: Readonly<Record<string, PriorityLevelSummary>>,
  client: ClientSide,
  server429: number,
): RejectionCrossCheck {
  /** Rejections in flow schema `fs`, for `reasons` only when given. */
  const rejectedIn = (fs: string, reasons?: readonly string[]) => {
    let n = 0;
    for (const pl of Object.values(flowControl)) {
      const stats = pl.flowSchemas[fs];
      if (stats === undefined) continue;
      for (const [reason, count] of Object.entries(stats.rejected)) {
        if (reasons === undefined || reasons.includes(reason)) n += count;
      }
    }
    return n;
  };
  const flowSchemas = [
    ...new Set(Object.values(client.groups).flatMap((g) => Object.keys(g.byFlowSchema))),
  ].sort();
  const client429 = Object.values(client.throttledByGroup).reduce((a, b) => a + b, 0);
  const serverRejected = flowSchemas.reduce((n, fs) => n + rejectedIn(fs), 0);
  const serverLateRejections = flowSchemas.reduce(
    (n, fs) => n + rejectedIn(fs, LATE_REJECTIONS),
    0,
  );
  // A flow schema's client count is only known when every group that used it used only it.
  const attributable = new Map<string, number>();
  const shared = new Set<string>();
  for (const [name, g] of Object.entries(client.groups)) {
    const schemas = Object.keys(g.byFlowSchema);
    if (schemas.length === 1) {
      const fs = schemas[0]!;
      attributable.set(fs, (attributable.get(fs) ?? 0) + (client.throttledByGroup[name] ?? 0));
    } else {
      for (const fs of schemas) shared.add(fs);
    }
  }
  const agree = agrees(client429, serverRejected);
  const byFlowSchema: Record<string, { client429: number; serverRejected: number }> = {};
  for (const [fs, n] of attributable) {
    if (!shared.has(fs)) byFlowSchema[fs] = { client429: n, serverRejected: rejectedIn(fs) };
  }
  const unanswered = client.unansweredByGroup;
  if (unanswered === undefined) {
    return { flowSchemas, client429, serverRejected, server429, agree, byFlowSchema };
  }
  const clientUnanswered = Object.values(unanswered).reduce((a, b) => a + b, 0);
  const difference = explainDifference({
    client429,
    serverRejected,
    serverLateRejections,
    clientUnanswered,
  });
  return {
    flowSchemas,
    client429,
    serverRejected,
    server429,
    agree,
    byFlowSchema,
    clientUnanswered,
    difference,
    explained: difference.other === 0,
  };
}

/**
 * Pure. A result's cross-check with its difference explained: as recorded, or, for a result
 * written before differences were explained, worked out again from its server section and
 * timeline.
 */
export function explainedCrossCheck(
  r: Parameters<typeof clientSideOf>[0] & {
    readonly server: Pick<ServerSection, 'flowControl' | 'crossCheck'>;
  },
): RejectionCrossCheck {
  const recorded = r.server.crossCheck;
  if (recorded.difference !== undefined) return recorded;
  return crossCheck(r.server.flowControl, clientSideOf(r), recorded.server429);
}
