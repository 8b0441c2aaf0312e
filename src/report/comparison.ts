/**
 * The report model of a comparison (comparison.json and its runs' results): the same
 * `ReportModel` as a single run, with one row per run in every table, verdict lines that set
 * each profile against the baseline, the differences table, and charts that put the profiles on
 * the same axes. Pure, and ordered like comparison.json, so the same input gives the same model.
 */
import { faultRows } from './faults.js';
import { mergeFlags } from '../profile/server-flags.js';
import {
  LATENCY_AXIS,
  charts,
  connectionRows,
  crossCheckRows,
  fairnessRows,
  serverOpenWatches,
  groupRows,
  overview,
  serverLevels,
  webhooksOf,
  spectrumChart,
  type ChartModel,
  type ComparisonSection,
  type DifferenceRow,
  type ReportModel,
} from './model.js';
import { figureUnit } from './figures.js';
import { heartbeatsOf, watchOf } from './totals.js';
import { comparisonVerdicts } from './verdicts/comparison.js';
import type { Comparison, ComparisonRun, RunResult } from '../result/result.js';

export {
  figureUnit,
  formatFigure,
  formatInterval,
  formatRelative,
  formatSigned,
} from './figures.js';

/** The part of comparison.json a report reads. */
export type ComparisonInput = Pick<
  Comparison,
  'scenario' | 'status' | 'reason' | 'repeat' | 'serverArgs' | 'profiles' | 'runs' | 'summary'
>;

/** The figures that differ between runs (those equal everywhere say nothing), in file order. */
function differenceRows(c: ComparisonInput): DifferenceRow[] {
  const baseline = c.summary.baseline;
  const others = c.profiles.map((p) => p.name).filter((p) => p !== baseline);
  return c.summary.figures
    .filter((f) => {
      const all = Object.values(f.byProfile).flatMap((s) => s.values);
      return all.some((v) => v !== all[0]);
    })
    .map((f) => ({
      figure: f.figure,
      unit: figureUnit(f.figure),
      baseline: f.byProfile[baseline],
      others: others.map((profile) => ({
        profile,
        sample: f.byProfile[profile],
        difference: f.differences[profile],
      })),
    }));
}

/** How tables and series name a run: its profile, and which repeat when there are several. */
export function runLabel(run: Pick<ComparisonRun, 'profile' | 'repeat'>, repeat: number): string {
  return repeat > 1 ? `${run.profile} #${run.repeat + 1}` : run.profile;
}

/** `results[i]` is the result of `comparison.runs[i]`. */
export function buildComparisonReport(
  comparison: ComparisonInput,
  results: readonly RunResult[],
): ReportModel {
  const runs = comparison.runs.map((run, i) => ({
    run,
    result: results[i]!,
    label: runLabel(run, comparison.repeat),
  }));
  const serverArgs = comparison.serverArgs ?? [];
  const profiles = comparison.profiles.map((p, colour) => ({
    name: p.name,
    file: p.file,
    // The audit policy as apfbench's own flag names it: the server's are paths in its directory.
    apiserverFlags: [
      ...appliedFlags(serverArgs, p.apiserverArgs),
      ...(p.auditPolicy === undefined ? [] : [`--audit-policy=${p.auditPolicy}`]),
    ],
    colour,
  }));
  const section: ComparisonSection = {
    baseline: comparison.summary.baseline,
    status: comparison.status,
    reason: comparison.reason,
    repeat: comparison.repeat,
    serverFlags: appliedFlags(serverArgs, []),
    local: results.every((r) => r.target.local),
    profiles,
    differences: differenceRows(comparison),
  };
  const groups = runs.flatMap(({ result, label }) => groupRows(label, result));
  const faults = runs.flatMap(({ result, label }) => faultRows(label, result));
  return {
    title: `${comparison.scenario}: ${profiles.map((p) => p.name).join(' vs ')}`,
    runs: runs.map(({ result, label }) => overview(result, label)),
    verdicts: comparisonVerdicts(comparison, runs),
    groups,
    fairness: runs.flatMap(({ result, label }) => fairnessRows(label, result)),
    connections: runs.flatMap(({ result, label }) => connectionRows(label, result)),
    serverOpenWatches: runs.flatMap(({ result, label }) => serverOpenWatches(label, result)),
    crossChecks: runs.flatMap(({ result, label }) => crossCheckRows(label, result)),
    charts: comparisonCharts(
      runs.map(({ run, result, label }) => ({
        result,
        label,
        colour: Math.max(
          0,
          comparison.profiles.findIndex((p) => p.name === run.profile),
        ),
        shade: run.repeat,
      })),
    ),
    ...(faults.length === 0 ? {} : { faults }),
    ...webhooksOf(runs),
    comparison: section,
  };
}

/**
 * The kube-apiserver flags a profile's runs started with, as `--key=value`: the comparison's
 * `--apiserver-arg` flags, then the profile's own, merged as the local control plane merges
 * them (engine/target.ts passes them in this order; a later key replaces an earlier one, so the
 * profile's flags win).
 */
export function appliedFlags(
  serverArgs: readonly string[],
  profileArgs: readonly string[],
): string[] {
  return mergeFlags({}, [...serverArgs, ...profileArgs]);
}

/** Flags for people: `--a=1 --b=2`, or what runs without any do. */
export function formatFlags(flags: readonly string[], local: boolean): string {
  if (flags.length > 0) return flags.join(' ');
  return local ? 'defaults' : "the cluster's own";
}

/** Under the profiles table: where the flags they share come from. */
export function serverFlagsNote(c: Pick<ComparisonSection, 'serverFlags'>): string {
  return `Every control plane of the comparison started with ${c.serverFlags.join(' ')} (--apiserver-arg); a profile's own spec.apiserver flags replace those of the same name.`;
}

/** File-name safe: lower-case letters, digits and dashes. */
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Charts whose series are runs of every profile overlaid, then per-run panels of these. */
const PANELS = [
  'throughput',
  'throttling-conflicts',
  'latency-p99',
  'server-executing-seats',
  'server-inqueue-requests',
] as const;

interface ChartRun {
  readonly result: RunResult;
  readonly label: string;
  /** The profile's palette index. */
  readonly colour: number;
  /** The run's repeat of its profile (0-based): its shade of the profile's colour. */
  readonly shade: number;
}

/**
 * The comparison's charts. Latency spectra (one per actor group), watch latency and heartbeat
 * gaps overlay every run, coloured by profile and shaded by repeat, on one axis. Time series (throughput, 429/409,
 * p99 per interval, server seats and queues) are one chart per run, side by side in a panel
 * whose charts share their axes, so that a taller line is a larger value.
 */
function comparisonCharts(runs: readonly ChartRun[]): ChartModel[] {
  const out: ChartModel[] = [];
  const groups = [...new Set(runs.flatMap((r) => Object.keys(r.result.actors)))];
  const overlay = (
    id: string,
    title: string,
    description: string,
    yTitle: string,
    encodedOf: (r: RunResult) => string | undefined,
  ) => {
    const present = runs.flatMap((r) => {
      const encoded = encodedOf(r.result);
      return encoded === undefined ? [] : [{ run: r, encoded }];
    });
    if (present.length === 0) return;
    const chart = spectrumChart(
      id,
      title,
      description,
      present.map(({ run, encoded }) => ({ label: run.label, encoded, colour: run.colour })),
      yTitle,
    );
    out.push({
      ...chart,
      series: chart.series.map((s, i) => ({ ...s, shade: present[i]!.run.shade })),
    });
  };
  for (const group of groups) {
    overlay(
      `latency-spectrum-${slug(group)}`,
      `Latency by percentile: ${group}`,
      `Latency of the ${group} group under each profile (response read − intended send time) at every percentile. Right is rarer: 99% means 1 request in 100 was slower.`,
      LATENCY_AXIS,
      (r) => r.actors[group]?.requests.histograms.latency,
    );
  }
  overlay(
    'watch-latency',
    'Watch latency by percentile',
    "Time from the writer's acknowledgement of a write to the watch event for it, under each profile.",
    LATENCY_AXIS,
    (r) => watchOf(r)?.latencyHistogram,
  );
  overlay(
    'heartbeat-gaps',
    'Gap between heartbeats by percentile',
    'Time between successful Lease renewals of the simulated nodes under each profile. Late above 1.5 × the renew interval, missed above the lease duration.',
    'Gap between renewals (ms)',
    (r) => heartbeatsOf(r)?.gapHistogram,
  );

  const levels = [...new Set(runs.flatMap((r) => serverLevels(r.result)))].sort();
  const perRun = runs.map((r) => charts(r.result, (name) => name, levels));
  for (const id of PANELS) {
    const panel = runs.flatMap((r, i) => {
      const chart = perRun[i]!.find((c) => c.id === id);
      return chart === undefined ? [] : [{ run: r, chart }];
    });
    if (panel.length === 0) continue;
    const points = panel.flatMap(({ chart }) => chart.series.flatMap((s) => s.points));
    const suggestedMax = {
      x: Math.max(0, ...points.map((p) => p.x)),
      y: Math.max(0, ...points.map((p) => p.y)),
    };
    for (const { run, chart } of panel) {
      out.push({
        ...chart,
        id: `${id}-${slug(run.label)}`,
        title: `${chart.title}: ${run.label}`,
        panel: id,
        suggestedMax,
      });
    }
  }
  return out;
}
