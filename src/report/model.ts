/**
 * The report model: everything a report shows, built from results by pure functions, and read by
 * the renderers (HTML, PNG, Markdown), which only lay it out. Every list is ordered so that the
 * same input gives the same model.
 *
 * The model holds N runs so that a comparison (comparison.json) is rendered by the same
 * renderers: rows carry their run's label, and a comparison adds its `comparison` section and
 * charts of its own (comparison.ts builds them from the helpers exported here).
 */
import { timelineStep } from '../metrics/faults.js';
import { levelJain, seatLimits, type Range } from '../metrics/fairness.js';
import type { RejectionDifference } from '../metrics/server-section.js';
import type { Difference, Sample } from '../metrics/compare-stats.js';
import type { DurationSummary } from '../metrics/histogram.js';
import { ABANDONED_CODES, abandonedOf } from '../metrics/timeline-snapshot.js';
import type { RunResult, RunStatus, Sweep } from '../result/result.js';

type SweepStatus = Sweep['status'];
import type { AxisFormats } from './runtime.js';
import {
  faultRows,
  timelineMarks,
  wallClockMarks,
  type ChartMark,
  type FaultRow,
} from './faults.js';
import { seatRows, webhookRows, type SeatRow, type WebhookRow } from './webhooks.js';
import { heartbeatsOf, watchOf } from './totals.js';
import { crossCheckRows } from './verdicts/cross-check.js';
import { verdicts } from './verdicts/run.js';
import { percentileSpectrum, type Point } from './spectrum.js';

export { heartbeatsOf, watchOf, type HeartbeatTotals, type WatchTotals } from './totals.js';
export {
  JAIN_WARN_BELOW,
  NOISY_THROTTLING_NOTE,
  THROTTLING_BAD_SHARE,
  noisyGroups,
  throttledOnlyNoisy,
  whose,
} from './verdicts/facts.js';
export { crossCheckRows } from './verdicts/cross-check.js';
export { verdicts } from './verdicts/run.js';

export interface ReportModel {
  readonly title: string;
  readonly runs: readonly RunOverview[];
  /** Shown first: one line per question a reader asks (healthy heartbeats? 429s? …). */
  readonly verdicts: readonly Verdict[];
  readonly groups: readonly GroupRow[];
  readonly fairness: readonly FairnessRow[];
  /** The client's connections per pool; empty for results written before they were counted. */
  readonly connections: readonly ConnectionRow[];
  /** Per run, the most watches the server had open at once (its nearest to a connection count). */
  readonly serverOpenWatches: readonly { readonly run: string; readonly peak: number }[];
  /** Runs whose 429s differ from the server's APF rejections, and why (none: no table). */
  readonly crossChecks: readonly CrossCheckRow[];
  readonly charts: readonly ChartModel[];
  /** The faults of a run with spec.faults, and the relist storm after each; absent: none. */
  readonly faults?: readonly FaultRow[];
  /** The webhooks of a run with spec.webhooks, and the seats held per level; absent: none. */
  readonly webhooks?: { readonly rows: readonly WebhookRow[]; readonly seats: readonly SeatRow[] };
  /** Present for a comparison: its profiles and the differences between them. */
  readonly comparison?: ComparisonSection;
  /** Present for a sweep (sweep.ts): each level's verdict, per profile. */
  readonly sweep?: SweepSection;
}

/** One level of one profile, as the sweep section's table shows it. */
export interface SweepLevelRow {
  readonly profile: string;
  readonly level: string;
  readonly runs: number;
  readonly verdict: 'ok' | 'broken' | 'not run';
  readonly knee: boolean;
  readonly reasons: string;
}

export interface SweepSection {
  readonly status: SweepStatus;
  readonly reason: string | undefined;
  readonly repeat: number;
  /** What made a level broken: the stop conditions and the scenario's budgets. */
  readonly conditions: readonly string[];
  readonly rows: readonly SweepLevelRow[];
}

/** A comparison's profiles and figures side by side (built by comparison.ts). */
export interface ComparisonSection {
  readonly baseline: string;
  readonly status: RunStatus;
  readonly reason: string | undefined;
  /** Runs per profile. */
  readonly repeat: number;
  /** `--key=value` flags of the comparison's `--apiserver-arg`, which every profile starts with. */
  readonly serverFlags: readonly string[];
  /** Every run was on a control plane apfbench started (empty flags: its defaults). */
  readonly local: boolean;
  readonly profiles: readonly {
    readonly name: string;
    readonly file: string;
    /**
     * The kube-apiserver flags its runs started with, `--key=value`: the comparison's, merged with
     * the profile's own (which win).
     */
    readonly apiserverFlags: readonly string[];
    /** Palette index of the profile's series on the comparison's overlaid charts. */
    readonly colour: number;
  }[];
  /** Figures that differ between runs, in comparison.json's order. */
  readonly differences: readonly DifferenceRow[];
}

/** How a compared figure reads: its unit follows from its name (`p99 ms`, `ok/s`, `jain`). */
export type FigureUnit = 'ms' | 'per-second' | 'index' | 'count';

export interface DifferenceRow {
  readonly figure: string;
  readonly unit: FigureUnit;
  readonly baseline: Sample | undefined;
  /** Each profile but the baseline, in the comparison's order. */
  readonly others: readonly {
    readonly profile: string;
    readonly sample: Sample | undefined;
    readonly difference: Difference | undefined;
  }[];
}

/** What was run. */
export interface RunOverview {
  /** How tables and chart series name this run (the scenario name for a single run). */
  readonly label: string;
  readonly runId: string;
  readonly scenario: { readonly name: string; readonly description: string | undefined };
  readonly target: {
    readonly server: string;
    readonly serverVersion: string;
    readonly local: boolean;
  };
  readonly tool: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationSeconds: number;
  readonly status: RunStatus;
  readonly reason: string | undefined;
  readonly workers: number;
  /** The APF profile the run was made under (compare, run --profile). */
  readonly profile: RunProfileOverview | undefined;
  /** The resolved scenario, as pretty-printed JSON. */
  readonly scenarioJson: string;
}

export interface RunProfileOverview {
  readonly name: string;
  readonly file: string | undefined;
  /** `<op> <Kind> <name>` per flowcontrol object the profile changed. */
  readonly changes: readonly string[];
}

export type VerdictLevel = 'ok' | 'warn' | 'bad';

export interface Verdict {
  readonly level: VerdictLevel;
  readonly topic:
    | 'status'
    | 'heartbeats'
    | 'throttling'
    | 'conflicts'
    | 'errors'
    | 'dropped'
    | 'abandoned'
    | 'watch'
    | 'fairness'
    | 'generator'
    | 'harness'
    | 'cross-check'
    | 'capacity';
  /** One sentence with its figures, already formatted for people. */
  readonly text: string;
}

export interface GroupRow {
  readonly run: string;
  readonly group: string;
  readonly type: string;
  readonly instances: number;
  readonly requests: number;
  readonly sent: number;
  /** Completed logical requests per second of the measured part (warm-up excluded). */
  readonly ratePerSecond: number;
  /** Responses by status code, ascending. */
  readonly codes: readonly (readonly [code: string, count: number])[];
  readonly latencyMs: DurationSummary;
  readonly dropped: number;
  readonly retries: number;
  readonly throttled: number;
  readonly conflicts: number;
  readonly errors: number;
  /**
   * Error responses (not 2xx/3xx) other than 429 and 409, and transport errors, less the ones the
   * actor expects as part of its protocol (`EXPECTED_RESPONSES`) and the abandoned requests:
   * what the error verdicts count.
   */
  readonly otherErrors: number;
  /** Requests still in flight when the drain after the deadline ended (`ABANDONED_CODES`). */
  readonly abandoned: number;
}

/**
 * Non-2xx responses an actor type gets by design, as `byKey` keys: a kubelet looks its Lease up
 * before creating it (404 on a fresh cluster), as the real kubelet's lease controller does. The
 * API server counts them, so `byCode` keeps them; the error verdicts do not.
 */
export const EXPECTED_RESPONSES: Readonly<Record<string, readonly string[]>> = {
  kubelet: ['get leases 404'],
};

const isOtherError = (code: string) =>
  !/^[23]/.test(code) && code !== '429' && code !== CONFLICT && !ABANDONED_CODES.includes(code);

/**
 * Error responses of a group of actors of `type` (not 2xx/3xx, 429 or 409; transport errors
 * included) less those it expects and those abandoned when the drain ended: what the error
 * verdicts count, and the live progress too.
 */
export function otherErrorsOf(
  type: string,
  requests: Pick<RunResult['actors'][string]['requests'], 'byCode' | 'byKey'>,
): number {
  const expected = (EXPECTED_RESPONSES[type] ?? []).reduce(
    (n, key) => n + (requests.byKey[key] ?? 0),
    0,
  );
  const errors = Object.entries(requests.byCode)
    .filter(([code]) => isOtherError(code))
    .reduce((n, [, count]) => n + count, 0);
  return Math.max(0, errors - expected);
}

export interface ConnectionRow {
  readonly run: string;
  readonly groups: string;
  readonly protocol: string;
  readonly connection: string;
  readonly maxStreamsPerConnection: number | undefined;
  readonly opened: number;
  readonly peakOpen: number;
}

export interface FairnessRow {
  readonly run: string;
  readonly priorityLevel: string;
  readonly flows: number;
  readonly jainIndex: number;
  readonly seatShare: number | undefined;
  readonly nominalShare: number | undefined;
  /** The level's nominal seats, from the server's metrics. */
  readonly nominalSeats: number | undefined;
  /** Its current seats (nominal ± lent and borrowed), least and most over the measured window. */
  readonly currentSeats: Range | undefined;
}

/** A run's 429s against the server's APF rejections, where the two differ. */
export interface CrossCheckRow extends RejectionDifference {
  readonly run: string;
  readonly client429: number;
  readonly serverRejected: number;
  /** apfbench's requests that got no answer (the drain ran out, or a client timeout). */
  readonly clientUnanswered: number;
}

export interface ChartSeries {
  readonly label: string;
  readonly points: readonly Point[];
  /** Index into the palette; the same actor group keeps its colour on every chart. */
  readonly colour: number;
  /** Dashed for the secondary series of a pair (sent beside completed, 409 beside 429). */
  readonly dashed: boolean;
  /**
   * The run's repeat (0-based) where runs of one profile share a chart: drawn in a shade of the
   * profile's colour and with a dash pattern of its own (charts.ts), so that repeats differ by
   * more than colour. Absent: the colour itself, solid or `dashed`.
   */
  readonly shade?: number;
}

export interface ChartModel {
  /** Stable, file-name safe: PNG files are `<id>.png`. */
  readonly id: string;
  readonly title: string;
  /** One or two sentences saying what is plotted and how to read it. */
  readonly description: string;
  readonly formats: AxisFormats;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly series: readonly ChartSeries[];
  /**
   * Charts of one panel (a comparison's per-run charts of one kind) sit side by side and share
   * their axes: each axis reaches at least `suggestedMax`, the largest value in the panel.
   */
  readonly panel?: string;
  readonly suggestedMax?: { readonly x: number; readonly y: number };
  /** Faults, as bands over the time axis; absent on a chart of a run without faults. */
  readonly marks?: readonly ChartMark[];
}

/** The report of one run. */
export function buildRunReport(result: RunResult): ReportModel {
  const run = overview(result);
  const groups = groupRows(run.label, result);
  const label = (group: string) => group;
  return {
    title: result.scenario.metadata.name,
    runs: [run],
    verdicts: verdicts(result, groups),
    groups,
    fairness: fairnessRows(run.label, result),
    connections: connectionRows(run.label, result),
    serverOpenWatches: serverOpenWatches(run.label, result),
    crossChecks: crossCheckRows(run.label, result),
    charts: charts(result, label),
    ...((result.faults ?? []).length === 0 ? {} : { faults: faultRows(run.label, result) }),
    ...webhooksOf([{ label: run.label, result }]),
  };
}

export function overview(r: RunResult, label = r.scenario.metadata.name): RunOverview {
  return {
    label,
    runId: r.runId,
    scenario: { name: r.scenario.metadata.name, description: r.scenario.metadata.description },
    target: r.target,
    tool: `${r.tool.name} ${r.tool.version}`,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationSeconds: runSeconds(r),
    status: r.status,
    reason: r.reason,
    workers: r.workers,
    profile:
      r.profile === undefined
        ? undefined
        : { name: r.profile.name, file: r.profile.file, changes: r.profile.changes },
    scenarioJson: JSON.stringify(r.scenario, null, 2),
  };
}

function runSeconds(r: RunResult): number {
  return Math.max(0, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000);
}

const CONFLICT = '409';

/** The measured part of the run in seconds: the scenario's duration less warm-up, or less if it ended early. */
function measuredSeconds(r: RunResult): number {
  const { duration, warmup } = r.scenario.spec;
  return Math.min(runSeconds(r), Math.max(0, duration - warmup) / 1000);
}

export function groupRows(run: string, r: RunResult): GroupRow[] {
  const seconds = measuredSeconds(r);
  return Object.entries(r.actors).map(([group, g]) => {
    const q = g.requests;
    return {
      run,
      group,
      type: g.type,
      instances: g.count,
      requests: q.total,
      sent: q.sent,
      ratePerSecond: seconds > 0 ? q.total / seconds : 0,
      codes: Object.entries(q.byCode).sort(([a], [b]) => a.localeCompare(b)),
      latencyMs: q.latencyMs,
      dropped: q.dropped,
      retries: q.retries,
      throttled: q.throttled,
      conflicts: q.byCode[CONFLICT] ?? 0,
      errors: q.errors,
      otherErrors: otherErrorsOf(g.type, q),
      abandoned: abandonedOf(q.byCode),
    };
  });
}

export function fairnessRows(run: string, r: RunResult): FairnessRow[] {
  return Object.entries(r.fairness?.priorityLevels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([priorityLevel, pl]) => {
      const seats =
        r.server === undefined
          ? undefined
          : seatLimits(priorityLevel, r.server.series, r.server.flowControl, measuredEpochs(r));
      return {
        run,
        priorityLevel,
        flows: pl.flows,
        jainIndex: levelJain(pl),
        seatShare: pl.seatShare,
        nominalShare: pl.nominalShare,
        nominalSeats: seats?.nominal,
        currentSeats: seats?.current,
      };
    });
}

/** The measured window in epoch ms, when the result recorded it. */
function measuredEpochs(r: RunResult): { fromMs: number; toMs: number } | undefined {
  if (r.measuredFrom === undefined || r.measuredTo === undefined) return undefined;
  return { fromMs: Date.parse(r.measuredFrom), toMs: Date.parse(r.measuredTo) };
}

export function connectionRows(run: string, r: RunResult): ConnectionRow[] {
  return (r.clientConnections ?? []).map((c) => ({
    run,
    groups: c.groups.join(', '),
    protocol: c.protocol,
    connection: c.connection,
    maxStreamsPerConnection: c.maxStreamsPerConnection,
    opened: c.opened,
    peakOpen: c.peakOpen,
  }));
}

export function serverOpenWatches(run: string, r: RunResult): ReportModel['serverOpenWatches'] {
  const peak = r.server?.peakOpenWatches;
  return peak === undefined ? [] : [{ run, peak }];
}

/** The priority levels of a result's server series, sorted. */
export function serverLevels(r: RunResult): string[] {
  const series = r.server?.series ?? [];
  return [...new Set(series.flatMap((p) => Object.keys(p.priorityLevels)))].sort();
}

export const LATENCY_AXIS = 'Latency (ms)';
const TIME_AXIS = 'Time since start (s)';
const PERCENTILE_AXIS = 'Percentile (log scale of 1 / (1 − p))';

export function spectrumChart(
  id: string,
  title: string,
  description: string,
  series: readonly { label: string; encoded: string; colour: number }[],
  yTitle = LATENCY_AXIS,
): ChartModel {
  return {
    id,
    title,
    description,
    formats: { x: 'percentile', y: 'ms' },
    xTitle: PERCENTILE_AXIS,
    yTitle,
    series: series.map((s) => ({
      label: s.label,
      points: percentileSpectrum(s.encoded),
      colour: s.colour,
      dashed: false,
    })),
  };
}

/** A chart of a figure over the run, x in seconds since its start, with the run's faults marked. */
function timeChart(
  id: string,
  title: string,
  description: string,
  y: { readonly format: AxisFormats['y']; readonly title: string },
  series: readonly ChartSeries[],
  marks: readonly ChartMark[],
): ChartModel {
  return {
    id,
    title,
    description,
    formats: { x: 'seconds', y: y.format },
    xTitle: TIME_AXIS,
    yTitle: y.title,
    series,
    ...(marks.length === 0 ? {} : { marks }),
  };
}

/**
 * The charts of one run. `label` names a series from its group or priority level; `levels`
 * fixes the colour of each priority level (a comparison passes every run's levels, so that a
 * level keeps its colour when a profile adds one).
 */
export function charts(
  r: RunResult,
  label: (group: string) => string,
  levels?: readonly string[],
): ChartModel[] {
  const groups = Object.keys(r.actors);
  const rows = (group: string) =>
    r.timeline.filter((row) => row.group === group).sort((a, b) => a.t - b.t);
  const step = timelineStep(r.timeline);
  const marks = timelineMarks(r);
  const timeSeries = (
    name: string,
    colour: number,
    rowsOf: ReturnType<typeof rows>,
    y: (row: ReturnType<typeof rows>[number]) => number | null,
    dashed = false,
  ): ChartSeries => ({
    label: name,
    colour,
    dashed,
    points: rowsOf.flatMap((row) => {
      const v = y(row);
      return v === null ? [] : [{ x: row.t, y: v }];
    }),
  });
  const out: ChartModel[] = [
    spectrumChart(
      'latency-spectrum',
      'Latency by percentile',
      'Latency of each actor group (response read − intended send time, so a slow server or generator shows up) at every percentile. Right is rarer: 99% means 1 request in 100 was slower.',
      groups.map((g, i) => ({
        label: label(g),
        encoded: r.actors[g]!.requests.histograms.latency,
        colour: i,
      })),
    ),
    timeChart(
      'throughput',
      'Throughput over time',
      'Requests completed per second (solid) and sends started per second (dashed), per interval. Completed below sent means the server fell behind.',
      { format: 'per-second', title: 'Throughput (requests/s)' },
      groups.flatMap((g, i) => [
        timeSeries(`${label(g)} completed`, i, rows(g), (row) => row.rps),
        timeSeries(`${label(g)} sent`, i, rows(g), (row) => row.sent / step, true),
      ]),
      marks,
    ),
    timeChart(
      'throttling-conflicts',
      '429 (throttled) and 409 (conflict) responses over time',
      '429 responses per second (solid: APF rejected the request) and 409 responses per second (dashed: a write lost an optimistic-concurrency race), per interval.',
      { format: 'per-second', title: 'Rate (responses/s)' },
      groups.flatMap((g, i) => [
        timeSeries(`${label(g)} 429`, i, rows(g), (row) => row.throttled / step),
        timeSeries(
          `${label(g)} 409`,
          i,
          rows(g),
          (row) => (row.errorsByCode[CONFLICT] ?? 0) / step,
          true,
        ),
      ]),
      marks,
    ),
    timeChart(
      'latency-p99',
      'Latency p99 per interval',
      'The 99th percentile of latency among the requests completed in each interval.',
      { format: 'ms', title: LATENCY_AXIS },
      groups.map((g, i) => timeSeries(label(g), i, rows(g), (row) => row.p99Ms)),
      marks,
    ),
  ];
  const watch = watchOf(r);
  if (watch?.latencyHistogram !== undefined) {
    out.push(
      spectrumChart(
        'watch-latency',
        'Watch latency by percentile',
        "Time from the writer's acknowledgement of a write to the watch event for it, at every percentile.",
        [{ label: label('watch'), encoded: watch.latencyHistogram, colour: 0 }],
      ),
    );
  }
  const heartbeats = heartbeatsOf(r);
  if (heartbeats?.gapHistogram !== undefined) {
    out.push(
      spectrumChart(
        'heartbeat-gaps',
        'Gap between heartbeats by percentile',
        'Time between successful Lease renewals of each simulated node, at every percentile. Late above 1.5 × the renew interval, missed above the lease duration.',
        [{ label: label('heartbeats'), encoded: heartbeats.gapHistogram, colour: 0 }],
        'Gap between renewals (ms)',
      ),
    );
  }
  const series = r.server?.series ?? [];
  if (series.length > 0) {
    const start = Date.parse(r.startedAt);
    const serverMarks = wallClockMarks(r, start);
    const own = serverLevels(r);
    const colours = levels ?? own;
    const perLevel = (pick: (v: { executingSeats: number; inqueueRequests: number }) => number) =>
      own.map((pl) => ({
        label: label(pl),
        colour: Math.max(0, colours.indexOf(pl)),
        dashed: false,
        points: series.flatMap((p) => {
          const v = p.priorityLevels[pl];
          return v === undefined ? [] : [{ x: Math.round(p.t - start) / 1000, y: pick(v) }];
        }),
      }));
    out.push(
      timeChart(
        'server-executing-seats',
        'Executing seats per priority level (server)',
        "Seats occupied by executing requests, per APF priority level, from the API server's /metrics.",
        { format: 'seats', title: 'Executing seats' },
        perLevel((v) => v.executingSeats),
        serverMarks,
      ),
      timeChart(
        'server-inqueue-requests',
        'Requests waiting in queues per priority level (server)',
        "Requests waiting in APF queues, per priority level, from the API server's /metrics.",
        { format: 'requests', title: 'Requests in queue' },
        perLevel((v) => v.inqueueRequests),
        serverMarks,
      ),
    );
  }
  return out;
}

/** The webhooks part of a report of `runs`; empty when none of them had webhooks. */
export function webhooksOf(
  runs: readonly { readonly label: string; readonly result: RunResult }[],
): Pick<ReportModel, 'webhooks'> {
  const rows = runs.flatMap(({ label, result }) => webhookRows(label, result));
  if (rows.length === 0) return {};
  return {
    webhooks: { rows, seats: runs.flatMap(({ label, result }) => seatRows(label, result)) },
  };
}
