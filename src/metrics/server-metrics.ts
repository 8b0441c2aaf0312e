/**
 * The server's side of a run: kube-apiserver `/metrics` scraped before, during and after, and
 * the deltas that the report sets against the client's own counts.
 *
 * Every helper is pure: it takes snapshots as arguments (the sampler takes its scrape and its
 * clock). Fetching `/metrics` over the network is kube/metrics.ts's job. Label names are the ones kube-apiserver (1.37) exposes, checked against its output
 * (see test/fixtures/metrics/).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ApfbenchError, whenAborted } from '../errors.js';
import { parsePrometheusText, type Labels, type MetricFamily, type Sample } from './prometheus.js';

/** The server metrics apfbench reads; all names in one place. */
export const ServerMetric = {
  /** Counter; labels verb, dry_run, group, version, resource, subresource, scope, component, code. */
  requests: 'apiserver_request_total',
  /** Counter; labels priority_level, flow_schema. */
  dispatched: 'apiserver_flowcontrol_dispatched_requests_total',
  /** Counter; labels priority_level, flow_schema, reason (concurrency-limit, queue-full, time-out). */
  rejected: 'apiserver_flowcontrol_rejected_requests_total',
  /** Histogram (seconds); labels priority_level, flow_schema, execute ("true" / "false"). */
  waitDuration: 'apiserver_flowcontrol_request_wait_duration_seconds',
  /** Gauge; labels priority_level, flow_schema. */
  executingSeats: 'apiserver_flowcontrol_current_executing_seats',
  /** Gauge; labels priority_level, flow_schema. */
  inqueueRequests: 'apiserver_flowcontrol_current_inqueue_requests',
  /** Gauge; label priority_level. */
  nominalLimitSeats: 'apiserver_flowcontrol_nominal_limit_seats',
  /** Gauge; label priority_level. */
  currentLimitSeats: 'apiserver_flowcontrol_current_limit_seats',
  /**
   * Gauge; labels verb (WATCH, CONNECT), group, version, resource, subresource, scope, component.
   * The nearest the server comes to a connection metric: it has none of its connections or of
   * HTTP/2 streams, but an open watch is a held connection (HTTP/1.1) or stream (h2).
   */
  longRunning: 'apiserver_longrunning_requests',
  /** Counter, no labels: the server process's CPU (user + system) since it began, seconds. */
  processCpu: 'process_cpu_seconds_total',
  /** Gauge, no labels: the server process's resident memory, bytes. */
  processResidentMemory: 'process_resident_memory_bytes',
} as const;

const PRIORITY_LEVEL = 'priority_level';
const FLOW_SCHEMA = 'flow_schema';
const REASON = 'reason';

const SERIES_FAMILIES: ReadonlySet<string> = new Set([
  ServerMetric.dispatched,
  ServerMetric.rejected,
  ServerMetric.waitDuration,
  ServerMetric.executingSeats,
  ServerMetric.inqueueRequests,
  ServerMetric.nominalLimitSeats,
  ServerMetric.currentLimitSeats,
  ServerMetric.longRunning,
  ServerMetric.processCpu,
  ServerMetric.processResidentMemory,
]);

/** One scrape of `/metrics`. */
export interface MetricsSnapshot {
  /** Wall-clock time (ms since the epoch) when the response had been read. */
  readonly scrapedAt: number;
  readonly families: ReadonlyMap<string, MetricFamily>;
}

export type LabelFilter = (labels: Labels) => boolean;

/** Builds a snapshot from exposition text; `families` keeps only those families. */
export function parseSnapshot(
  text: string,
  scrapedAt: number,
  families?: ReadonlySet<string>,
): MetricsSnapshot {
  return {
    scrapedAt,
    families: parsePrometheusText(text, families === undefined ? {} : { families }),
  };
}

/** The samples named `sampleName` (`x_count` is found in histogram family `x`). */
function samplesOf(snapshot: MetricsSnapshot, sampleName: string): readonly Sample[] {
  const family =
    snapshot.families.get(sampleName) ??
    snapshot.families.get(sampleName.replace(/_(bucket|sum|count)$/, ''));
  return family?.samples.filter((s) => s.name === sampleName) ?? [];
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * How much a counter grew from `before` to `after`. A counter that went down was reset (the
 * server restarted) and counts from 0 again, so it grew by `after`.
 */
export function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

interface SeriesValue {
  readonly labels: Labels;
  readonly value: number;
}

/**
 * Per-series increase of counter samples `name` for every series in `after` that passes
 * `filter`; a series absent from `before` counts from 0, one absent from `after` is ignored.
 */
function seriesDeltas(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  name: string,
  filter: LabelFilter = () => true,
): SeriesValue[] {
  const previous = new Map(samplesOf(before, name).map((s) => [seriesKey(s.labels), s.value]));
  return samplesOf(after, name)
    .filter((s) => filter(s.labels))
    .map((s) => ({
      labels: s.labels,
      value: increase(previous.get(seriesKey(s.labels)) ?? 0, s.value),
    }));
}

function sumBy(
  series: readonly SeriesValue[],
  keyOf: (labels: Labels) => string,
): Record<string, number> {
  const sums = new Map<string, number>();
  for (const { labels, value } of series) {
    const key = keyOf(labels);
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return Object.fromEntries(sums);
}

/** The values of `groupBy` labels joined by one space; a missing label is the empty string. */
export function groupKey(labels: Labels, groupBy: readonly string[]): string {
  return groupBy.map((k) => labels[k] ?? '').join(' ');
}

/**
 * The increase of counter samples `name` between two snapshots, summed by the values of the
 * `groupBy` labels (see `groupKey`; `[]` sums everything under `''`). Every group with a series
 * in `after` is present, also when its increase is 0.
 */
export function counterDelta(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  name: string,
  groupBy: readonly string[],
  filter?: LabelFilter,
): Record<string, number> {
  return sumBy(seriesDeltas(before, after, name, filter), (l) => groupKey(l, groupBy));
}

/** Gauge samples `name` in one snapshot, summed by the values of the `groupBy` labels. */
export function gaugeValues(
  snapshot: MetricsSnapshot,
  name: string,
  groupBy: readonly string[],
  filter: LabelFilter = () => true,
): Record<string, number> {
  return sumBy(
    samplesOf(snapshot, name).filter((s) => filter(s.labels)),
    (l) => groupKey(l, groupBy),
  );
}

/**
 * Requests the server counted between two snapshots (`apiserver_request_total`), as
 * `"<VERB> <resource> <code>"` → count, where resource is `resource/subresource` for a
 * subresource (`PATCH pods/status 200`). Only resource requests count: `/metrics`, `/readyz`
 * and other non-resource paths have an empty `resource` label and are left out. `resource`
 * keeps one resource (with its subresources); `group` keeps one API group (`''` is core).
 *
 * The verb is not the HTTP method but the server's own (k8s.io/apiserver endpoints/metrics
 * `CleanVerb`):
 * - `GET` on one object → `GET`; `GET` on a collection → `LIST`; with `watch=true` → `WATCH`
 *   (legacy `/watch/` paths too);
 * - `POST` → `POST` (a create), `PUT` → `PUT` (an update);
 * - `PATCH` → `PATCH`, except with content type `application/apply-patch+yaml` → `APPLY`;
 * - `DELETE` on one object → `DELETE`, on a collection → `DELETECOLLECTION`;
 * - `log`, `exec`, `attach`, `portforward` and `proxy` subresources → `CONNECT`;
 * - anything else → `other`.
 * A request rejected by APF (429) is counted under the same verb and resource with code 429.
 * WATCHes are counted when they end, so a watch still open at `after` is not in the delta.
 */
export function requestCountsByVerbResourceCode(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  where: { resource?: string; group?: string } = {},
): Record<string, number> {
  const wanted: LabelFilter = (l) =>
    (l.resource ?? '') !== '' &&
    (where.resource === undefined || l.resource === where.resource) &&
    (where.group === undefined || l.group === where.group);
  return sumBy(seriesDeltas(before, after, ServerMetric.requests, wanted), (l) => {
    const resource =
      (l.subresource ?? '') !== '' ? `${l.resource}/${l.subresource}` : (l.resource ?? '');
    return `${l.verb ?? ''} ${resource} ${l.code ?? ''}`;
  });
}

const flowControlStatsShape = {
  /** Requests dispatched (let execute) between the snapshots. */
  dispatched: z.number(),
  /** Requests rejected with 429 between the snapshots, by reason. */
  rejected: z.record(z.string(), z.number()),
  /** Requests that finished waiting in a queue (executed or not) between the snapshots. */
  waitCount: z.number(),
  /** Their total time in the queue, in seconds. */
  waitSumSeconds: z.number(),
  /** Seats occupied by executing requests at `after`. */
  executingSeats: z.number(),
  /** Requests waiting in queues at `after`. */
  inqueueRequests: z.number(),
};

/** APF figures of one flow schema within a priority level, or of a whole priority level. */
export const flowControlStatsSchema = z.object(flowControlStatsShape);
export type FlowControlStats = z.infer<typeof flowControlStatsSchema>;

export const priorityLevelSummarySchema = z.object({
  ...flowControlStatsShape,
  /** Seats configured at `after`; absent when the server did not report the level. */
  nominalLimitSeats: z.number().optional(),
  /** Seats available after borrowing and lending at `after`. */
  currentLimitSeats: z.number().optional(),
  /** The same figures per flow schema that sent requests to this level. */
  flowSchemas: z.record(z.string(), flowControlStatsSchema),
});
export type PriorityLevelSummary = z.infer<typeof priorityLevelSummarySchema>;

interface StatsAccumulator {
  dispatched: number;
  rejected: Record<string, number>;
  waitCount: number;
  waitSumSeconds: number;
  executingSeats: number;
  inqueueRequests: number;
}

interface LevelAccumulator extends StatsAccumulator {
  nominalLimitSeats: number | undefined;
  currentLimitSeats: number | undefined;
  flowSchemas: Record<string, StatsAccumulator>;
}

const emptyStats = (): StatsAccumulator => ({
  dispatched: 0,
  rejected: {},
  waitCount: 0,
  waitSumSeconds: 0,
  executingSeats: 0,
  inqueueRequests: 0,
});

/**
 * APF between two snapshots, per priority level and, within it, per flow schema: counter
 * increases (dispatched, rejected by reason, wait-duration count and sum, both for requests that
 * executed and for those rejected after waiting) and gauges as read in `after` (executing seats,
 * in-queue requests, nominal and current limit seats). A level appears when `after` has any of
 * these series for it.
 */
export function flowControlSummary(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
): Record<string, PriorityLevelSummary> {
  const levels: Record<string, LevelAccumulator> = {};
  const level = (labels: Labels): LevelAccumulator => {
    const name = labels[PRIORITY_LEVEL] ?? '';
    return (levels[name] ??= {
      ...emptyStats(),
      nominalLimitSeats: undefined,
      currentLimitSeats: undefined,
      flowSchemas: {},
    });
  };
  const addEach = (
    series: readonly SeriesValue[],
    add: (to: StatsAccumulator, value: number, labels: Labels) => void,
  ) => {
    for (const { labels, value } of series) {
      const pl = level(labels);
      add(pl, value, labels);
      const fs = labels[FLOW_SCHEMA];
      if (fs !== undefined) add((pl.flowSchemas[fs] ??= emptyStats()), value, labels);
    }
  };
  const delta = (name: string) => seriesDeltas(before, after, name);
  const current = (name: string) => samplesOf(after, name);

  addEach(delta(ServerMetric.dispatched), (to, v) => (to.dispatched += v));
  addEach(delta(ServerMetric.rejected), (to, v, l) => {
    const reason = l[REASON] ?? '';
    to.rejected[reason] = (to.rejected[reason] ?? 0) + v;
  });
  addEach(delta(`${ServerMetric.waitDuration}_count`), (to, v) => (to.waitCount += v));
  addEach(delta(`${ServerMetric.waitDuration}_sum`), (to, v) => (to.waitSumSeconds += v));
  addEach(current(ServerMetric.executingSeats), (to, v) => (to.executingSeats += v));
  addEach(current(ServerMetric.inqueueRequests), (to, v) => (to.inqueueRequests += v));
  for (const { labels, value } of current(ServerMetric.nominalLimitSeats)) {
    level(labels).nominalLimitSeats = value;
  }
  for (const { labels, value } of current(ServerMetric.currentLimitSeats)) {
    level(labels).currentLimitSeats = value;
  }
  return levels;
}

/** One priority level at one scrape of the sampler. */
export const priorityLevelPointSchema = z.object({
  executingSeats: z.number(),
  inqueueRequests: z.number(),
  nominalLimitSeats: z.number().optional(),
  currentLimitSeats: z.number().optional(),
  /** Cumulative counters as read (since the server started), for rates between points. */
  dispatchedTotal: z.number(),
  rejectedTotal: z.number(),
});
export type PriorityLevelPoint = z.infer<typeof priorityLevelPointSchema>;

/** The APF gauges of one scrape, per priority level. */
export const flowControlPointSchema = z.object({
  /** Wall-clock time of the scrape, ms since the epoch. */
  t: z.number(),
  priorityLevels: z.record(z.string(), priorityLevelPointSchema),
  /** Watches open on the server (`apiserver_longrunning_requests`); absent from older results. */
  openWatches: z.number().optional(),
  /**
   * The server process's CPU since it began, seconds (`process_cpu_seconds_total` as read);
   * absent where the server does not expose it, and from older results.
   */
  cpuSeconds: z.number().optional(),
  /** The server process's resident memory, bytes (`process_resident_memory_bytes`). */
  residentMemoryBytes: z.number().optional(),
});
export type FlowControlPoint = z.infer<typeof flowControlPointSchema>;

const NOTHING: MetricsSnapshot = { scrapedAt: 0, families: new Map() };

/** Reduces a snapshot to its APF gauges and cumulative counters per priority level. */
export function flowControlPoint(snapshot: MetricsSnapshot): FlowControlPoint {
  const summary = flowControlSummary(NOTHING, snapshot);
  const priorityLevels: Record<string, PriorityLevelPoint> = {};
  for (const [name, pl] of Object.entries(summary)) {
    priorityLevels[name] = {
      executingSeats: pl.executingSeats,
      inqueueRequests: pl.inqueueRequests,
      nominalLimitSeats: pl.nominalLimitSeats,
      currentLimitSeats: pl.currentLimitSeats,
      dispatchedTotal: pl.dispatched,
      rejectedTotal: Object.values(pl.rejected).reduce((a, b) => a + b, 0),
    };
  }
  const watches = gaugeValues(snapshot, ServerMetric.longRunning, ['verb'])['WATCH'];
  const cpu = gaugeValues(snapshot, ServerMetric.processCpu, [])[''];
  const rss = gaugeValues(snapshot, ServerMetric.processResidentMemory, [])[''];
  return {
    t: snapshot.scrapedAt,
    priorityLevels,
    ...(watches === undefined ? {} : { openWatches: watches }),
    ...(cpu === undefined ? {} : { cpuSeconds: cpu }),
    ...(rss === undefined ? {} : { residentMemoryBytes: rss }),
  };
}

/** What the sampler waits on; the engine's `Clock` is one. */
export interface SamplerClock {
  /** Monotonic ms. */
  now(): number;
  /** Resolves once `now() >= t`, or when `signal` aborts; never rejects. */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>;
}

const realTimers: SamplerClock = {
  now: () => performance.now(),
  sleepUntil: (t, signal) =>
    sleep(Math.max(0, t - performance.now()), undefined, { signal }).catch(() => undefined),
};

export interface MetricsSamplerOptions {
  /** Time between the starts of two scrapes; a scrape that overruns skips the ticks it missed. */
  readonly intervalMs: number;
  /**
   * Aborting ends the periodic scrapes early: none starts after it, and one in flight is
   * aborted and leaves no point. `stop` still takes the final snapshot.
   */
  readonly signal?: AbortSignal;
  /** Where the periodic scrapes wait; real timers when omitted (tests pass a fake clock). */
  readonly clock?: SamplerClock;
}

/** One scrape of `/metrics`, of every family or only of `families`. */
export type Scrape = (opts: {
  families?: ReadonlySet<string>;
  signal?: AbortSignal;
}) => Promise<MetricsSnapshot>;

export interface SamplerResult {
  /** Full snapshot taken when the sampler started. */
  readonly before: MetricsSnapshot;
  /** Full snapshot taken by `stop`. */
  readonly after: MetricsSnapshot;
  /** One point per successful scrape, `before` and `after` included, in time order. */
  readonly series: readonly FlowControlPoint[];
  /** Periodic scrapes that failed (they leave a gap in `series`, not an error). */
  readonly failedScrapes: number;
}

export interface MetricsSampler {
  /** The points so far (a live, growing view; do not modify). */
  samples(): readonly FlowControlPoint[];
  /** Ends the periodic scrapes, waits for one in flight to be aborted, takes `after`. Idempotent. */
  stop(): Promise<SamplerResult>;
}

export const MIN_SAMPLER_INTERVAL_MS = 100;

/** `startMetricsSampler` over any `scrape`; what it throws, the first call to `scrape` threw. */
export async function startSampler(
  scrape: Scrape,
  opts: MetricsSamplerOptions,
): Promise<MetricsSampler> {
  const { intervalMs, clock = realTimers } = opts;
  if (!(intervalMs >= MIN_SAMPLER_INTERVAL_MS)) {
    throw new ApfbenchError(
      'APFBENCH_METRICS_INTERVAL',
      `metrics sampling interval must be at least ${MIN_SAMPLER_INTERVAL_MS} ms (got ${intervalMs})`,
      { kind: 'invalid-input' },
    );
  }
  const before = await scrape({});
  const series: FlowControlPoint[] = [flowControlPoint(before)];
  const halt = new AbortController();
  const abort = () => halt.abort();
  const stopListening = opts.signal === undefined ? () => {} : whenAborted(opts.signal, abort);
  let failedScrapes = 0;

  const loop = (async () => {
    const start = clock.now();
    for (let tick = 1; !halt.signal.aborted; tick++) {
      await clock.sleepUntil(start + tick * intervalMs, halt.signal);
      if (halt.signal.aborted) return;
      try {
        const snapshot = await scrape({ families: SERIES_FAMILIES, signal: halt.signal });
        if (!halt.signal.aborted) series.push(flowControlPoint(snapshot));
      } catch {
        if (!halt.signal.aborted) failedScrapes++;
      }
      tick = Math.max(tick, Math.floor((clock.now() - start) / intervalMs));
    }
  })();

  let result: Promise<SamplerResult> | undefined;
  const finish = async (): Promise<SamplerResult> => {
    abort();
    stopListening();
    await loop;
    const after = await scrape({});
    series.push(flowControlPoint(after));
    return { before, after, series, failedScrapes };
  };
  return {
    samples: () => series,
    stop: () => (result ??= finish()),
  };
}

/** apfbench's verbs as `apiserver_request_total` names them. */
const SERVER_VERBS: Readonly<Record<string, string>> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  apply: 'APPLY',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
};

/**
 * A result's `byKey` (`"<verb> <resource> <code>"`, apfbench's verbs) in the form of
 * `requestCountsByVerbResourceCode`, so that client and server counts compare key by key.
 * `resource` keeps only that resource's keys.
 */
export function clientCountsAsServer(
  byKey: Readonly<Record<string, number>>,
  resource?: string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(byKey)) {
    const [verb = '', res = '', code = ''] = key.split(' ');
    if (resource !== undefined && res !== resource) continue;
    const k = `${SERVER_VERBS[verb] ?? verb.toUpperCase()} ${res} ${code}`;
    counts[k] = (counts[k] ?? 0) + n;
  }
  return counts;
}
