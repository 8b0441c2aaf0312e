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

/** Per priority level at one scrape; `t` is the scrape time in ms since the epoch. */
export type ServerSeriesPoint = z.infer<typeof flowControlPointSchema>;

const counts = z.record(z.string(), z.number());

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
}

/**
 * Client and server counts agree when they differ by at most 2 or 1 %: a 429 the server
 * counted just before the final scrape may reach the client just after, and the other way round.
 */
export function agrees(client: number, server: number): boolean {
  return Math.abs(client - server) <= Math.max(2, 0.01 * Math.max(client, server));
}

export function buildServerSection(
  sampled: SamplerResult,
  client: ClientSide,
  opts: { intervalMs: number; dump?: string | undefined },
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

export function crossCheck(
  flowControl: Readonly<Record<string, PriorityLevelSummary>>,
  client: ClientSide,
  server429: number,
): RejectionCrossCheck {
  const rejectedIn = (fs: string) => {
    let n = 0;
    for (const pl of Object.values(flowControl)) {
      const stats = pl.flowSchemas[fs];
      if (stats !== undefined) n += Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    }
    return n;
  };
  const flowSchemas = [
    ...new Set(Object.values(client.groups).flatMap((g) => Object.keys(g.byFlowSchema))),
  ].sort();
  const client429 = Object.values(client.throttledByGroup).reduce((a, b) => a + b, 0);
  const serverRejected = flowSchemas.reduce((n, fs) => n + rejectedIn(fs), 0);
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
  const byFlowSchema: Record<string, { client429: number; serverRejected: number }> = {};
  for (const [fs, n] of attributable) {
    if (!shared.has(fs)) byFlowSchema[fs] = { client429: n, serverRejected: rejectedIn(fs) };
  }
  return {
    flowSchemas,
    client429,
    serverRejected,
    server429,
    agree: agrees(client429, serverRejected),
    byFlowSchema,
  };
}
