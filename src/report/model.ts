/**
 * The report model: everything a report shows, built from results by pure functions, and read by
 * the renderers (HTML, PNG, Markdown), which only lay it out. Every list is ordered so that the
 * same input gives the same model.
 *
 * The model holds N runs so that a comparison (comparison.json) is rendered by the same
 * renderers: rows carry their run's label, and a comparison adds its `comparison` section and
 * charts of its own (comparison.ts builds them from the helpers exported here).
 */
import type { Difference, Sample } from '../metrics/compare-stats.js';
import {
  createAccumulator,
  encode,
  mergeEncoded,
  summarizeMs,
  type DurationSummary,
} from '../metrics/histogram.js';
import { ABANDONED_CODES, abandonedOf } from '../metrics/timeline-snapshot.js';
import type { RunStatus } from '../result/result.js';
import type { AxisFormats } from './runtime.js';
import { runtime } from './runtime.js';
import type { HeartbeatSection, ReportableResult, WatchSection } from './sections.js';
import { percentileSpectrum, type Point } from './spectrum.js';

export interface ReportModel {
  readonly title: string;
  readonly runs: readonly RunOverview[];
  /** Shown first: one line per question a reader asks (healthy heartbeats? 429s? …). */
  readonly verdicts: readonly Verdict[];
  readonly groups: readonly GroupRow[];
  readonly fairness: readonly FairnessRow[];
  readonly charts: readonly ChartModel[];
  /** Present for a comparison: its profiles and the differences between them. */
  readonly comparison?: ComparisonSection;
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
    | 'generator';
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
  requests: Pick<ReportableResult['actors'][string]['requests'], 'byCode' | 'byKey'>,
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

export interface FairnessRow {
  readonly run: string;
  readonly priorityLevel: string;
  readonly flows: number;
  readonly jainIndex: number;
  readonly seatShare: number | undefined;
  readonly nominalShare: number | undefined;
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
}

/** Share of a run's 429 responses above which throttling is a problem, not a blip. */
export const THROTTLING_BAD_SHARE = 0.01;

/** The report of one run. */
export function buildRunReport(result: ReportableResult): ReportModel {
  const run = overview(result);
  const groups = groupRows(run.label, result);
  const label = (group: string) => group;
  return {
    title: result.scenario.metadata.name,
    runs: [run],
    verdicts: verdicts(result, groups),
    groups,
    fairness: fairnessRows(run.label, result),
    charts: charts(result, label),
  };
}

export function overview(r: ReportableResult, label = r.scenario.metadata.name): RunOverview {
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

function runSeconds(r: ReportableResult): number {
  return Math.max(0, (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000);
}

const CONFLICT = '409';

/** The measured part of the run in seconds: the scenario's duration less warm-up, or less if it ended early. */
function measuredSeconds(r: ReportableResult): number {
  const { duration, warmup } = r.scenario.spec;
  return Math.min(runSeconds(r), Math.max(0, duration - warmup) / 1000);
}

export function groupRows(run: string, r: ReportableResult): GroupRow[] {
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

export function fairnessRows(run: string, r: ReportableResult): FairnessRow[] {
  return Object.entries(r.fairness?.priorityLevels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([priorityLevel, pl]) => ({
      run,
      priorityLevel,
      flows: pl.flows,
      jainIndex: pl.jainIndex,
      seatShare: pl.seatShare,
      nominalShare: pl.nominalShare,
    }));
}

const { formatCount, formatMs, formatPercent } = runtime;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Whose a figure is, from each group's share of it: "all noisy" when one group has it all,
 * else "quiet: 12, noisy: 3"; groups with none are left out. `format` formats a share (a mean
 * over repeats in a comparison).
 */
export function whose(
  shares: readonly (readonly [group: string, n: number])[],
  format: (n: number) => string = formatCount,
): string {
  const some = shares.filter(([, n]) => n > 0);
  if (some.length === 1) return `all ${some[0]![0]}`;
  return some.map(([group, n]) => `${group}: ${format(n)}`).join(', ');
}
const byGroup = (rows: readonly GroupRow[], pick: (g: GroupRow) => number) =>
  whose(rows.map((g) => [g.group, pick(g)]));

/** The groups a run was told are noisy (`--noisy`), whose throttling is APF doing its job. */
export function noisyGroups(r: ReportableResult): ReadonlySet<string> {
  return new Set((r.fairness?.latencyRatios ?? []).map((pair) => pair.noisy));
}

/** True when a run had 429s and every one of them was a group named noisy (`--noisy`). */
export function throttledOnlyNoisy(r: ReportableResult, groups: readonly GroupRow[]): boolean {
  const noisy = noisyGroups(r);
  const throttled = groups.filter((g) => g.throttled > 0);
  return throttled.length > 0 && throttled.every((g) => noisy.has(g.group));
}

/** What the verdicts say about 429s that fell only on groups named noisy. */
export const NOISY_THROTTLING_NOTE =
  'every 429 went to a group named noisy (--noisy): APF held back the noisy neighbour, not its victims';

/** Jain's index below which a priority level's flows were not served fairly. */
export const JAIN_WARN_BELOW = 0.9;

export function verdicts(r: ReportableResult, groups: readonly GroupRow[]): Verdict[] {
  const out: Verdict[] = [];
  if (r.status !== 'completed') {
    out.push({
      level: 'bad',
      topic: 'status',
      text:
        r.status === 'degraded'
          ? `The run is degraded${r.reason === undefined ? '' : `: ${r.reason}`}. Latencies cover only the requests the server answered.`
          : `The run ${r.status === 'aborted' ? 'was aborted' : 'failed'}${r.reason === undefined ? '' : `: ${r.reason}`}. Figures cover only the part that ran.`,
    });
  }
  const hb = heartbeatsOf(r);
  if (hb !== undefined) {
    const gap = `longest gap between renewals ${formatMs(hb.gapMs.max)}`;
    out.push(
      hb.missed > 0
        ? {
            level: 'bad',
            topic: 'heartbeats',
            text: `Heartbeats missed: ${formatCount(hb.missed)} lease gap(s) exceeded the lease duration (nodes would go NotReady); ${gap}.`,
          }
        : hb.late > 0
          ? {
              level: 'warn',
              topic: 'heartbeats',
              text: `Heartbeats late: ${formatCount(hb.late)} gap(s) exceeded 1.5 × the renew interval, none missed; ${gap}.`,
            }
          : {
              level: 'ok',
              topic: 'heartbeats',
              text: `Heartbeats healthy: ${formatCount(hb.nodes)} node(s) renewed ${formatCount(hb.renewals)} times, none late; ${gap}.`,
            },
    );
  }
  const responses = sum(groups.map((g) => sum(g.codes.map(([, n]) => n))));
  const throttled = sum(groups.map((g) => g.throttled));
  const share = responses > 0 ? throttled / responses : 0;
  const onlyNoisy = throttledOnlyNoisy(r, groups);
  out.push(
    throttled === 0
      ? {
          level: 'ok',
          topic: 'throttling',
          text: 'No 429s: API Priority and Fairness rejected nothing.',
        }
      : {
          // Throttling the group named noisy is what APF is for: worth a look, not a failure.
          level: share > THROTTLING_BAD_SHARE && !onlyNoisy ? 'bad' : 'warn',
          topic: 'throttling',
          text: `${formatCount(throttled)} responses were 429 (${formatPercent(share)} of all) — ${byGroup(groups, (g) => g.throttled)}${onlyNoisy ? `; ${NOISY_THROTTLING_NOTE}` : ''}.`,
        },
  );
  const conflicts = sum(groups.map((g) => g.conflicts));
  out.push(
    conflicts === 0
      ? { level: 'ok', topic: 'conflicts', text: 'No 409 conflicts.' }
      : {
          level: 'warn',
          topic: 'conflicts',
          text: `${formatCount(conflicts)} responses were 409 Conflict — ${byGroup(groups, (g) => g.conflicts)}.`,
        },
  );
  const otherErrors = sum(groups.map((g) => g.otherErrors));
  if (otherErrors > 0) {
    out.push({
      level: 'bad',
      topic: 'errors',
      text: `${formatCount(otherErrors)} other error responses or transport errors (not 429 or 409, nor a kubelet's lookup of a Lease it has yet to create, nor abandoned) — ${byGroup(groups, (g) => g.otherErrors)}; see the codes in the table.`,
    });
  }
  const dropped = sum(groups.map((g) => g.dropped));
  // Results written before the cap judgement have no reasons: their counts per group, then.
  const capped = r.generator.cappedReasons ?? [];
  if (dropped > 0) {
    out.push({
      level: 'warn',
      topic: 'dropped',
      text:
        capped.length > 0
          ? `The intended load was not offered — ${capped.join('; ')}.`
          : `${formatCount(dropped)} sends were dropped because their group's in-flight cap was reached — ${byGroup(groups, (g) => g.dropped)}.`,
    });
  }
  const abandoned = sum(groups.map((g) => g.abandoned));
  if (abandoned > 0) {
    out.push({
      level: 'warn',
      topic: 'abandoned',
      text: `${formatCount(abandoned)} requests still in flight when the drain ended, abandoned (not counted as errors) — ${byGroup(groups, (g) => g.abandoned)}.`,
    });
  }
  const w = watchOf(r);
  if (w !== undefined) {
    const figures = [
      ...(w.latencyMs.count > 0 ? [`watch latency p99 ${formatMs(w.latencyMs.p99)}`] : []),
      `${formatCount(w.restarts)} restart(s)`,
      `${formatCount(w.relists)} relist(s)`,
    ].join(', ');
    out.push(
      w.lost === undefined
        ? {
            level: 'ok',
            topic: 'watch',
            text: `Watches received ${formatCount(w.events)} event(s); ${figures}.`,
          }
        : w.lost > 0
          ? {
              level: 'bad',
              topic: 'watch',
              text: `${formatCount(w.lost)} watch event(s) expected but never seen; ${figures}.`,
            }
          : {
              level: 'ok',
              topic: 'watch',
              text: `Watches saw every expected event (${formatCount(w.events)}); ${figures}.`,
            },
    );
  }
  const levels = Object.entries(r.fairness?.priorityLevels ?? {});
  if (levels.length > 0) {
    const unfair = levels
      .filter(([, pl]) => pl.jainIndex < JAIN_WARN_BELOW)
      .map(([name, pl]) => `${name} (J = ${pl.jainIndex.toFixed(2)})`);
    out.push(
      unfair.length === 0
        ? {
            level: 'ok',
            topic: 'fairness',
            text: `Fair within every priority level (Jain's index ≥ ${JAIN_WARN_BELOW}).`,
          }
        : {
            level: 'warn',
            topic: 'fairness',
            text: `Unfair within ${unfair.join(', ')}: Jain's index below ${JAIN_WARN_BELOW}.`,
          },
    );
  }
  const gen = r.generator;
  out.push(
    gen.saturated
      ? {
          level: 'bad',
          topic: 'generator',
          text: `The load generator was saturated (${gen.reasons.join('; ')}): latencies include its own delay.`,
        }
      : {
          level: 'ok',
          topic: 'generator',
          text: `The load generator kept up: event-loop delay p99 ${formatMs(gen.eventLoopDelayMs.p99)}, utilisation ${formatPercent(gen.utilization)}, schedule lag p99 ${formatMs(gen.scheduleLagMs.p99)}.`,
        },
  );
  return out;
}

/** The priority levels of a result's server series, sorted. */
export function serverLevels(r: ReportableResult): string[] {
  const series = r.server?.series ?? [];
  return [...new Set(series.flatMap((p) => Object.keys(p.priorityLevels)))].sort();
}

/**
 * The run's heartbeats: the result's `heartbeats` section, else the kubelet groups' own
 * `heartbeats` sections (actors.<group>.heartbeats) added up, gap histograms merged.
 */
export function heartbeatsOf(r: ReportableResult): HeartbeatSection | undefined {
  if (r.heartbeats !== undefined) return r.heartbeats;
  const groups = Object.values(r.actors).flatMap((g) => {
    const hb = g.heartbeats as Partial<Record<string, unknown>> | undefined;
    return typeof hb === 'object' && hb !== null && typeof hb.renewals === 'number'
      ? [{ count: g.count, hb }]
      : [];
  });
  if (groups.length === 0) return undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const gaps = createAccumulator();
  for (const { hb } of groups) {
    if (typeof hb.histogram === 'string' && hb.histogram !== '') mergeEncoded(gaps, hb.histogram);
  }
  return {
    nodes: groups.reduce((n, g) => n + g.count, 0),
    renewals: groups.reduce((n, g) => n + num(g.hb.renewals), 0),
    late: groups.reduce((n, g) => n + num(g.hb.late), 0),
    missed: groups.reduce((n, g) => n + num(g.hb.missed), 0),
    gapMs: summarizeMs(gaps),
    ...(gaps.hdr.totalCount > 0 ? { gapHistogram: encode(gaps) } : {}),
  };
}

/**
 * The run's watches: the result's `watch` section, else every watch section of its groups added
 * up, latency histograms merged. A group's watch stats are its own `watch` (controllers, kubelets
 * watching their pods) or a section's (the scheduler's `scheduling.watch`). `lost` is present
 * when some watcher counts the events it expected (controllers).
 */
export function watchOf(r: ReportableResult): WatchSection | undefined {
  if (r.watch !== undefined) return r.watch;
  const sections = Object.values(r.actors).flatMap((g) =>
    [g.watch, ...Object.values(g).map((section) => fieldOf(section, 'watch'))].filter(isWatch),
  );
  if (sections.length === 0) return undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const total = (key: string) => sections.reduce((n, w) => n + num(w[key]), 0);
  const latency = createAccumulator();
  for (const w of sections) {
    if (typeof w.latencyHistogram === 'string') mergeEncoded(latency, w.latencyHistogram);
  }
  return {
    events: total('events'),
    ...(sections.some((w) => typeof w.lost === 'number') ? { lost: total('lost') } : {}),
    restarts: total('restarts'),
    relists: total('relists'),
    latencyMs: summarizeMs(latency),
    ...(latency.hdr.totalCount > 0 ? { latencyHistogram: encode(latency) } : {}),
  };
}

const fieldOf = (v: unknown, key: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Partial<Record<string, unknown>>)[key] : undefined;
/** A watch section as an actor writes it: at least its event count. */
const isWatch = (v: unknown): v is Partial<Record<string, unknown>> =>
  typeof fieldOf(v, 'events') === 'number';

/** The timeline's interval in seconds: the smallest step between two rows' start times (1 if none). */
function intervalSeconds(r: ReportableResult): number {
  const ts = [...new Set(r.timeline.map((row) => row.t))].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < ts.length; i++) step = Math.min(step, ts[i]! - ts[i - 1]!);
  return Number.isFinite(step) ? step : 1;
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

/** A chart of a figure over the run, x in seconds since its start. */
function timeChart(
  id: string,
  title: string,
  description: string,
  y: { readonly format: AxisFormats['y']; readonly title: string },
  series: readonly ChartSeries[],
): ChartModel {
  return {
    id,
    title,
    description,
    formats: { x: 'seconds', y: y.format },
    xTitle: TIME_AXIS,
    yTitle: y.title,
    series,
  };
}

/**
 * The charts of one run. `label` names a series from its group or priority level; `levels`
 * fixes the colour of each priority level (a comparison passes every run's levels, so that a
 * level keeps its colour when a profile adds one).
 */
export function charts(
  r: ReportableResult,
  label: (group: string) => string,
  levels?: readonly string[],
): ChartModel[] {
  const groups = Object.keys(r.actors);
  const rows = (group: string) =>
    r.timeline.filter((row) => row.group === group).sort((a, b) => a.t - b.t);
  const step = intervalSeconds(r);
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
    ),
    timeChart(
      'latency-p99',
      'Latency p99 per interval',
      'The 99th percentile of latency among the requests completed in each interval.',
      { format: 'ms', title: LATENCY_AXIS },
      groups.map((g, i) => timeSeries(label(g), i, rows(g), (row) => row.p99Ms)),
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
      ),
      timeChart(
        'server-inqueue-requests',
        'Requests waiting in queues per priority level (server)',
        "Requests waiting in APF queues, per priority level, from the API server's /metrics.",
        { format: 'requests', title: 'Requests in queue' },
        perLevel((v) => v.inqueueRequests),
      ),
    );
  }
  return out;
}
