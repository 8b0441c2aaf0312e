/**
 * The report model of a comparison (comparison.json and its runs' results): the same
 * `ReportModel` as a single run, with one row per run in every table, verdict lines that set
 * each profile against the baseline, the differences table, and charts that put the profiles on
 * the same axes. Pure, and ordered like comparison.json, so the same input gives the same model.
 */
import { mergeFlags } from '../profile/server-flags.js';
import type { Difference } from '../metrics/compare-stats.js';
import {
  JAIN_WARN_BELOW,
  LATENCY_AXIS,
  charts,
  fairnessRows,
  groupRows,
  heartbeatsOf,
  overview,
  serverLevels,
  spectrumChart,
  verdicts as runVerdicts,
  throttledOnlyNoisy,
  watchOf,
  whose,
  NOISY_THROTTLING_NOTE,
  type ChartModel,
  type ComparisonSection,
  type DifferenceRow,
  type FigureUnit,
  type GroupRow,
  type ReportModel,
  type Verdict,
  type VerdictLevel,
} from './model.js';
import type { Comparison, ComparisonRun } from '../result/result.js';
import { runtime } from './runtime.js';
import type { ReportableResult } from './sections.js';

/** The part of comparison.json a report reads. */
export type ComparisonInput = Pick<
  Comparison,
  'scenario' | 'status' | 'reason' | 'repeat' | 'serverArgs' | 'profiles' | 'runs' | 'summary'
>;

/** How tables and series name a run: its profile, and which repeat when there are several. */
export function runLabel(run: Pick<ComparisonRun, 'profile' | 'repeat'>, repeat: number): string {
  return repeat > 1 ? `${run.profile} #${run.repeat + 1}` : run.profile;
}

/** `results[i]` is the result of `comparison.runs[i]`. */
export function buildComparisonReport(
  comparison: ComparisonInput,
  results: readonly ReportableResult[],
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
    apiserverFlags: appliedFlags(serverArgs, p.apiserverArgs),
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
  return {
    title: `${comparison.scenario}: ${profiles.map((p) => p.name).join(' vs ')}`,
    runs: runs.map(({ result, label }) => overview(result, label)),
    verdicts: comparisonVerdicts(comparison, runs),
    groups,
    fairness: runs.flatMap(({ result, label }) => fairnessRows(label, result)),
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

/** The unit of a figure of comparison.json, from its name (see engine/compare.ts `runFigures`). */
export function figureUnit(figure: string): FigureUnit {
  if (/ ms$|Ms$/.test(figure)) return 'ms';
  if (figure.endsWith('/s')) return 'per-second';
  if (figure.endsWith('.jain')) return 'index';
  return 'count';
}

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

const sig3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const { formatCount, formatMs, formatRate, formatPercent } = runtime;

/** A figure's value for people: counts as counts (a mean of repeats to 3 digits), ms, rates. */
export function formatFigure(unit: FigureUnit, v: number): string {
  switch (unit) {
    case 'ms':
      return formatMs(v);
    case 'per-second':
      return formatRate(v);
    case 'index':
      return v.toFixed(3);
    case 'count':
      return Number.isInteger(v) ? formatCount(v) : sig3.format(v);
  }
}

/** A difference with its sign: +251, −5.68 ms, +0.010. */
export function formatSigned(unit: FigureUnit, v: number): string {
  if (v === 0) return unit === 'index' ? '0.000' : '0';
  return `${v > 0 ? '+' : '−'}${formatFigure(unit, Math.abs(v))}`;
}

/** A relative change: +12.3 %, or "new" when the baseline is 0. */
export function formatRelative(d: Difference): string {
  if (d.relative === null) return d.diff === 0 ? '0%' : 'from 0';
  if (d.relative === 0) return '0%';
  return `${d.relative > 0 ? '+' : '−'}${formatPercent(Math.abs(d.relative))}`;
}

/** The 95 % interval as `[−1.2, +3.4]`, or undefined without repeats. */
export function formatInterval(unit: FigureUnit, d: Difference): string | undefined {
  if (d.ci95 === undefined) return undefined;
  return `[${formatSigned(unit, d.ci95[0])}, ${formatSigned(unit, d.ci95[1])}]`;
}

interface ComparedRun {
  readonly run: ComparisonRun;
  readonly result: ReportableResult;
  readonly label: string;
}

/** The facts about one run that the comparison's verdicts set side by side. */
interface RunFacts {
  /** Its group rows, for the counts per group (429s, errors, …). */
  readonly groups: readonly GroupRow[];
  /** It had 429s, all on groups named noisy. */
  readonly throttledOnlyNoisy: boolean;
  readonly heartbeats: { readonly late: number; readonly missed: number } | undefined;
  readonly watchLost: number | undefined;
  /** The least fair priority level. */
  readonly leastFair: { readonly level: string; readonly jain: number } | undefined;
  /** Each topic's level in the run's own verdicts. */
  readonly levels: ReadonlyMap<Verdict['topic'], VerdictLevel>;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function factsOf(result: ReportableResult, groups: readonly GroupRow[]): RunFacts {
  const hb = heartbeatsOf(result);
  const levels = Object.entries(result.fairness?.priorityLevels ?? {}).sort(
    ([a, x], [b, y]) => x.jainIndex - y.jainIndex || a.localeCompare(b),
  );
  const least = levels[0];
  return {
    groups,
    throttledOnlyNoisy: throttledOnlyNoisy(result, groups),
    heartbeats: hb === undefined ? undefined : { late: hb.late, missed: hb.missed },
    watchLost: watchOf(result)?.lost,
    leastFair: least === undefined ? undefined : { level: least[0], jain: least[1].jainIndex },
    levels: new Map(runVerdicts(result, groups).map((v) => [v.topic, v.level])),
  };
}

const RANK: Record<VerdictLevel, number> = { ok: 0, warn: 1, bad: 2 };
const worst = (levels: readonly VerdictLevel[]): VerdictLevel =>
  levels.reduce<VerdictLevel>((w, l) => (RANK[l] > RANK[w] ? l : w), 'ok');
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : sum(xs) / xs.length);

/** A verdict topic that counts something per actor group, and how its comparison line reads. */
interface CountedTopic {
  readonly topic: Verdict['topic'];
  readonly pick: (g: GroupRow) => number;
  /** The line's heading, and the word after a profile's count. */
  readonly title: string;
  readonly unit: string;
  /** The line when no profile has any; absent: no line then. */
  readonly none?: string;
  /** The figure of comparison.json whose 95 % interval the line quotes. */
  readonly figure?: string;
  readonly after?: string;
}

/** In the order of the lines; each names the groups its counts belong to. */
const COUNTED: readonly CountedTopic[] = [
  {
    topic: 'throttling',
    pick: (g) => g.throttled,
    title: '429s',
    unit: '429s',
    none: 'No 429s under any profile: API Priority and Fairness rejected nothing.',
    figure: 'all.429s',
  },
  {
    topic: 'conflicts',
    pick: (g) => g.conflicts,
    title: '409 conflicts',
    unit: '409s',
    none: 'No 409 conflicts under any profile.',
  },
  {
    topic: 'errors',
    pick: (g) => g.otherErrors,
    title: 'Other error responses and transport errors',
    unit: 'errors',
    after: '; see the codes in the table',
  },
  {
    topic: 'dropped',
    pick: (g) => g.dropped,
    title: 'Sends dropped at an in-flight cap',
    unit: 'dropped',
  },
  {
    topic: 'abandoned',
    pick: (g) => g.abandoned,
    title: 'Requests still in flight when the drain ended, abandoned',
    unit: 'abandoned',
    after: '; not counted as errors',
  },
];

/**
 * Verdict lines for a comparison: per topic, each profile against the baseline ("tight: 251
 * 429s (all lister) vs 0 under k8s-defaults"), a mean over its runs when repeated, with the
 * groups it belongs to, and the level of the worst run (the runs' own verdicts decide the
 * levels, so a comparison and its runs never disagree). A topic that is fine under every profile
 * takes one OK line.
 */
function comparisonVerdicts(c: ComparisonInput, runs: readonly ComparedRun[]): Verdict[] {
  const facts = runs.map(({ run, result, label }) => ({
    profile: run.profile,
    label,
    run,
    result,
    facts: factsOf(result, groupRows(label, result)),
  }));
  const baseline = c.summary.baseline;
  const names = c.profiles.map((p) => p.name).filter((p) => facts.some((f) => f.profile === p));
  const others = names.filter((p) => p !== baseline);
  const ofProfile = (p: string) => facts.filter((f) => f.profile === p);
  const level = (topic: Verdict['topic']) =>
    worst(facts.map((f) => f.facts.levels.get(topic) ?? 'ok'));
  const repeated = c.repeat > 1 ? ` (mean of ${c.repeat} runs each)` : '';
  /** "tight: 251 429s vs 0 under k8s-defaults; isolate: …", or the baseline alone. */
  const contrast = (describe: (p: string) => string, short: (p: string) => string) =>
    others.length === 0 || !names.includes(baseline)
      ? names.map((p) => `${p}: ${describe(p)}`).join('; ')
      : others
          .map((p) => `${p}: ${describe(p)} vs ${short(baseline)} under ${baseline}`)
          .join('; ');
  const meanOf = (p: string, pick: (f: RunFacts) => number) =>
    mean(ofProfile(p).map((f) => pick(f.facts)));
  const count = (n: number) => formatFigure('count', n);
  /** A profile's figure per group: the mean over its runs. */
  const perGroup = (p: string, pick: (g: GroupRow) => number) => {
    const own = ofProfile(p);
    const totals = new Map<string, number>();
    for (const g of own.flatMap((f) => f.facts.groups)) {
      totals.set(g.group, (totals.get(g.group) ?? 0) + pick(g));
    }
    return [...totals].map(([group, n]) => [group, n / own.length] as const);
  };
  const total = (p: string, pick: (g: GroupRow) => number) =>
    sum(perGroup(p, pick).map(([, n]) => n));
  /** "12 (all noisy)", "15 (quiet: 12, noisy: 3)", or "0". */
  const counted = (p: string, pick: (g: GroupRow) => number, unit = '') => {
    const shares = whose(perGroup(p, pick), count);
    return `${count(total(p, pick))}${unit}${shares === '' ? '' : ` (${shares})`}`;
  };
  /** Every run with 429s had them only on groups named noisy. */
  const throttledRuns = facts.filter((f) => f.facts.groups.some((g) => g.throttled > 0));
  const noisyOnly =
    throttledRuns.length > 0 && throttledRuns.every((f) => f.facts.throttledOnlyNoisy);
  const significance = (figure: string) => {
    const f = c.summary.figures.find((x) => x.figure === figure);
    const parts = others.flatMap((p) => {
      const d = f?.differences[p];
      const interval = d === undefined ? undefined : formatInterval('count', d);
      return interval === undefined || d === undefined
        ? []
        : [
            `${p} ${formatSigned('count', d.diff)} ${interval}${d.significant === true ? ', significant' : ', within noise'}`,
          ];
    });
    return parts.length === 0 ? '' : `; 95% interval of the difference: ${parts.join('; ')}`;
  };

  const out: Verdict[] = [];
  const unfinished = facts.filter((f) => f.run.status !== 'completed');
  if (c.status !== 'completed' || unfinished.length > 0) {
    const why = c.reason === undefined ? '' : `: ${c.reason}`;
    out.push({
      level: 'bad',
      topic: 'status',
      text: `The comparison ${c.status === 'completed' ? 'completed' : c.status === 'aborted' ? 'was aborted' : 'failed'}${why}; ${formatCount(runs.length)} run(s) recorded${unfinished.length > 0 ? `, not completed: ${unfinished.map((f) => `${f.label} (${f.run.status})`).join(', ')}` : ''}. Figures cover only what ran.`,
    });
  }

  if (facts.some((f) => f.facts.heartbeats !== undefined)) {
    const late = (p: string) => meanOf(p, (f) => f.heartbeats?.late ?? 0);
    const missed = (p: string) => meanOf(p, (f) => f.heartbeats?.missed ?? 0);
    const hurt = names.some((p) => late(p) > 0 || missed(p) > 0);
    out.push({
      level: level('heartbeats'),
      topic: 'heartbeats',
      text: hurt
        ? `Heartbeats${repeated}: ${contrast(
            (p) => `${count(late(p))} late and ${count(missed(p))} missed renewal gap(s)`,
            (p) => `${count(late(p))} and ${count(missed(p))}`,
          )}.`
        : 'Heartbeats healthy under every profile: no renewal gap late or missed.',
    });
  }

  for (const t of COUNTED) {
    if (names.every((p) => total(p, t.pick) === 0)) {
      if (t.none !== undefined) out.push({ level: 'ok', topic: t.topic, text: t.none });
      continue;
    }
    const noisy = t.topic === 'throttling' && noisyOnly ? `; ${NOISY_THROTTLING_NOTE}` : '';
    out.push({
      level: level(t.topic),
      topic: t.topic,
      text: `${t.title}${repeated}: ${contrast(
        (p) => counted(p, t.pick, ` ${t.unit}`),
        (p) => counted(p, t.pick),
      )}${t.figure === undefined ? '' : significance(t.figure)}${t.after ?? ''}${noisy}.`,
    });
  }

  if (facts.some((f) => f.facts.watchLost !== undefined)) {
    const lost = (p: string) => meanOf(p, (f) => f.watchLost ?? 0);
    out.push(
      names.every((p) => lost(p) === 0)
        ? {
            level: level('watch'),
            topic: 'watch',
            text: 'Watches saw every expected event under every profile.',
          }
        : {
            level: level('watch'),
            topic: 'watch',
            text: `Watch events expected but never seen${repeated}: ${contrast(
              (p) => `${count(lost(p))} lost`,
              (p) => count(lost(p)),
            )}.`,
          },
    );
  }

  if (facts.some((f) => f.facts.leastFair !== undefined)) {
    /** The least fair level over a profile's runs. */
    const least = (p: string) =>
      ofProfile(p)
        .flatMap((f) => (f.facts.leastFair === undefined ? [] : [f.facts.leastFair]))
        .sort((a, b) => a.jain - b.jain)[0];
    const text = (p: string) => {
      const l = least(p);
      return l === undefined ? 'no fairness figures' : `J = ${l.jain.toFixed(2)} (${l.level})`;
    };
    const fair = names.every((p) => (least(p)?.jain ?? 1) >= JAIN_WARN_BELOW);
    out.push({
      level: level('fairness'),
      topic: 'fairness',
      text: fair
        ? `Fair within every priority level under every profile (Jain's index ≥ ${JAIN_WARN_BELOW}).`
        : `Least fair priority level (Jain's index; below ${JAIN_WARN_BELOW} is unfair): ${contrast(text, text)}.`,
    });
  }

  const saturated = facts.filter((f) => f.result.generator.saturated);
  out.push(
    saturated.length === 0
      ? {
          level: 'ok',
          topic: 'generator',
          text: 'The load generator kept up in every run.',
        }
      : {
          level: 'bad',
          topic: 'generator',
          text: `The load generator was saturated in ${formatCount(saturated.length)} of ${formatCount(facts.length)} run(s) (${saturated.map((f) => `${f.label}: schedule lag p99 ${formatMs(f.result.generator.scheduleLagMs.p99)}`).join(', ')}): their latencies include its own delay; each run's reasons are in its result.json.`,
        },
  );
  return out;
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
  readonly result: ReportableResult;
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
    encodedOf: (r: ReportableResult) => string | undefined,
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
