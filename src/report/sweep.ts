/**
 * The report of a sweep (sweep.json and its levels' results): capacity curves, with x the load
 * the first --vary sets and y what breaks as it grows (victims' p99, the 429 ratio, the
 * heartbeat gap, Jain's index, the server's CPU), one line per profile (and row of a grid), the
 * range over repeats as dashed lines, and each profile's knee marked on every curve and stated
 * in the verdicts. Pure, and ordered like sweep.json.
 */
import { levelJain } from '../metrics/fairness.js';
import type { RunResult, Sweep, SweepKnee, SweepLevel } from '../result/result.js';
import type { ChartMark } from './faults.js';
import {
  groupRows,
  overview,
  type ChartModel,
  type ChartSeries,
  type ReportModel,
  type SweepLevelRow,
  type Verdict,
} from './model.js';
import type { AxisFormats } from './runtime.js';
import { heartbeatsOf } from './totals.js';

/** The part of sweep.json a report reads. */
export type SweepInput = Pick<
  Sweep,
  | 'scenario'
  | 'status'
  | 'reason'
  | 'repeat'
  | 'stop'
  | 'budgets'
  | 'profiles'
  | 'vary'
  | 'levels'
  | 'runs'
  | 'verdicts'
  | 'knees'
>;

/** The value of the first --vary at `level`, with its unit: `40/s`. */
function xText(s: Pick<SweepInput, 'vary'>, level: SweepLevel | undefined): string {
  const v = s.vary[0];
  return level === undefined || v === undefined ? '?' : `${level.values[0]}${v.unit}`;
}

/** The values of the other --vary of a row, for a grid: ` (count=2)`; empty for one --vary. */
function rowText(s: Pick<SweepInput, 'vary' | 'levels'>, row: number): string {
  if (s.vary.length < 2) return '';
  const level = s.levels.find((l) => l.row === row);
  if (level === undefined) return '';
  return ` (${level.label.split(' ').slice(1).join(' ')})`;
}

const levelAt = (s: Pick<SweepInput, 'levels'>, index: number | null) =>
  index === null ? undefined : s.levels.find((l) => l.index === index);

/**
 * One sentence per profile (and row): how far it holds and where it breaks, with why, as in
 * "isolate-tenants holds up to 140/s of spec.actors[noisy].rate; k8s-defaults breaks at 80/s".
 */
export function kneeSentences(s: SweepInput): string[] {
  const what = s.vary[0]?.path ?? 'the load';
  return s.knees.map((k) => {
    const who = `${k.profile}${rowText(s, k.row)}`;
    const held = levelAt(s, k.holdsUpTo);
    const knee = levelAt(s, k.knee);
    if (knee === undefined) {
      return held === undefined
        ? `${who}: no level finished`
        : `${who} holds every level run, up to ${xText(s, held)} of ${what}`;
    }
    const why = s.verdicts.find((v) => v.profile === k.profile && v.level === k.knee)?.reasons[0];
    const breaks = `breaks at ${xText(s, knee)}${why === undefined ? '' : ` (${why})`}`;
    return held === undefined
      ? `${who} ${breaks}, the lowest level run`
      : `${who} holds up to ${xText(s, held)} of ${what}; ${breaks}`;
  });
}

function sweepVerdicts(s: SweepInput): Verdict[] {
  const status: Verdict[] =
    s.status === 'completed'
      ? []
      : [
          {
            level: s.status === 'failed' ? 'bad' : 'warn',
            topic: 'status',
            text: `The sweep is ${s.status}${s.reason === undefined ? '' : ` (${s.reason})`}: the curves show the levels that finished.`,
          },
        ];
  const sentences = kneeSentences(s);
  return [
    ...status,
    ...s.knees.map((k, i): Verdict => ({
      level: k.knee === null ? 'ok' : 'warn',
      topic: 'capacity',
      text: `${sentences[i] ?? ''}.`,
    })),
  ];
}

/** A figure of a run that a capacity curve plots; undefined where the run has none. */
interface Curve {
  readonly id: string;
  readonly title: string;
  readonly yTitle: string;
  readonly y: AxisFormats['y'];
  readonly description: string;
  readonly value: (r: RunResult) => number | undefined;
}

/** `server.cpuSeconds`, which results carry from the version of apfbench that measures it. */
function serverCpuSeconds(r: RunResult): number | undefined {
  const cpu = (r.server as Record<string, unknown> | undefined)?.['cpuSeconds'];
  return typeof cpu === 'number' ? cpu : undefined;
}

function curves(groups: readonly string[]): Curve[] {
  return [
    ...groups.map((g): Curve => ({
      id: `capacity-p99-${g.replace(/[^\w-]/g, '_')}`,
      title: `p99 latency of ${g}`,
      yTitle: 'p99 latency (ms)',
      y: 'ms',
      description: `The p99 latency of ${g}'s requests (from the intended send time) at each load level, per profile.`,
      value: (r) => r.actors[g]?.requests.latencyMs.p99,
    })),
    {
      id: 'capacity-429-ratio',
      title: '429 ratio',
      yTitle: 'share of requests answered 429 (1 = all)',
      y: 'fraction',
      description:
        'The share of all requests that API Priority and Fairness rejected with 429, at each load level.',
      value: (r) => {
        const groups = Object.values(r.actors);
        const total = groups.reduce((n, g) => n + g.requests.total, 0);
        const throttled = groups.reduce((n, g) => n + g.requests.throttled, 0);
        return total === 0 ? undefined : throttled / total;
      },
    },
    {
      id: 'capacity-heartbeat-gap',
      title: 'Longest heartbeat gap',
      yTitle: 'longest gap between Lease renewals (ms)',
      y: 'ms',
      description: "The longest gap between a node's successful Lease renewals at each load level.",
      value: (r) => heartbeatsOf(r)?.gapMs.max,
    },
    {
      id: 'capacity-jain',
      title: "Jain's fairness index (lowest priority level)",
      yTitle: "Jain's index (1 = fair)",
      y: 'index',
      description:
        "The lowest Jain's fairness index over the server's priority levels at each load level.",
      value: (r) => {
        const levels = Object.values(r.fairness?.priorityLevels ?? {});
        return levels.length === 0 ? undefined : Math.min(...levels.map(levelJain));
      },
    },
    {
      id: 'capacity-server-cpu',
      title: 'API server CPU',
      yTitle: 'server CPU (s)',
      y: 'cpu-seconds',
      description: "The API server's CPU time over each level's run.",
      value: serverCpuSeconds,
    },
  ];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The capacity charts: per curve, a line per profile and row over the first --vary's values,
 * through the mean of each level's runs (with repeats, dashed lines through the least and most);
 * the knees as marks. A curve no run has a value for is left out.
 */
function capacityCharts(s: SweepInput, results: readonly (RunResult | undefined)[]): ChartModel[] {
  const vary = s.vary[0];
  const first = results.find((r) => r !== undefined);
  if (vary === undefined || first === undefined) return [];
  const judged = new Set(s.verdicts.map((v) => `${v.profile}\u0000${v.level}`));
  const rows = [...new Set(s.levels.map((l) => l.row))];
  const marks: ChartMark[] = s.knees.flatMap((k: SweepKnee) => {
    const knee = levelAt(s, k.knee);
    const x = knee?.values[0];
    return x === undefined
      ? []
      : [{ from: x, to: x, label: `${k.profile}${rowText(s, k.row)} knee` }];
  });
  const xTitle = `${vary.path}${vary.unit === '' ? '' : ` (${vary.unit})`}`;
  return curves(Object.keys(first.actors)).flatMap((curve) => {
    const series: ChartSeries[] = [];
    s.profiles.forEach((p, colour) => {
      for (const [shade, row] of rows.entries()) {
        const points: { x: number; y: number; lo: number; hi: number }[] = [];
        for (const level of s.levels.filter((l) => l.row === row)) {
          if (!judged.has(`${p.name}\u0000${level.index}`)) continue;
          const ys = s.runs.flatMap((run, i) => {
            const r = results[i];
            const y =
              run.profile === p.name && run.level === level.index && r !== undefined
                ? curve.value(r)
                : undefined;
            return y === undefined ? [] : [y];
          });
          if (ys.length > 0) {
            points.push({
              x: level.values[0]!,
              y: mean(ys),
              lo: Math.min(...ys),
              hi: Math.max(...ys),
            });
          }
        }
        if (points.length === 0) continue;
        const label = `${p.name}${rowText(s, row)}`;
        series.push({
          label,
          points: points.map(({ x, y }) => ({ x, y })),
          colour,
          dashed: false,
          shade,
        });
        if (s.repeat > 1) {
          for (const [bound, pick] of [
            ['least', (q: (typeof points)[number]) => q.lo],
            ['most', (q: (typeof points)[number]) => q.hi],
          ] as const) {
            series.push({
              label: `${label}, ${bound} of ${s.repeat} runs`,
              points: points.map((q) => ({ x: q.x, y: pick(q) })),
              colour,
              dashed: true,
              shade,
            });
          }
        }
      }
    });
    if (series.length === 0) return [];
    // From 0, with room on the right for a knee's label at the highest level.
    const xMax = Math.max(...series.flatMap((s) => s.points.map((q) => q.x)));
    return [
      {
        id: curve.id,
        title: curve.title,
        description: `${curve.description}${s.repeat > 1 ? ` Solid: the mean of ${s.repeat} runs; dashed: the least and the most.` : ''} A vertical line marks each profile's knee, the first level where a stop condition held or a budget broke.`,
        formats: { x: 'load', y: curve.y },
        xTitle,
        yTitle: curve.yTitle,
        series,
        suggestedMax: { x: xMax * 1.1, y: 0 },
        ...(marks.length === 0 ? {} : { marks }),
      },
    ];
  });
}

function levelRows(s: SweepInput): SweepLevelRow[] {
  const knees = new Set(s.knees.map((k) => `${k.profile}\u0000${k.knee}`));
  return s.profiles.flatMap((p) =>
    s.levels.map((l): SweepLevelRow => {
      const v = s.verdicts.find((x) => x.profile === p.name && x.level === l.index);
      return {
        profile: p.name,
        level: l.label,
        runs: s.runs.filter((r) => r.profile === p.name && r.level === l.index).length,
        verdict: v === undefined ? 'not run' : v.broken ? 'broken' : 'ok',
        knee: knees.has(`${p.name}\u0000${l.index}`),
        reasons: v?.reasons.join('; ') ?? '',
      };
    }),
  );
}

/**
 * The report of a sweep: `results[i]` is the result of `sweep.runs[i]` (undefined: its file was
 * not there, e.g. the run was cut off before writing it).
 */
export function buildSweepReport(
  s: SweepInput,
  results: readonly (RunResult | undefined)[],
): ReportModel {
  const labelled = s.runs.flatMap((run, i) => {
    const r = results[i];
    const level = s.levels.find((l) => l.index === run.level);
    const label = `${run.profile} ${level?.label ?? run.level}${s.repeat > 1 ? ` #${run.repeat + 1}` : ''}`;
    return r === undefined ? [] : [{ label, r }];
  });
  return {
    title: `${s.scenario}: capacity sweep`,
    runs: labelled.map(({ label, r }) => overview(r, label)),
    verdicts: sweepVerdicts(s),
    groups: labelled.flatMap(({ label, r }) => groupRows(label, r)),
    fairness: [],
    connections: [],
    serverOpenWatches: [],
    crossChecks: [],
    charts: capacityCharts(s, results),
    sweep: {
      status: s.status,
      reason: s.reason,
      repeat: s.repeat,
      conditions: [...s.stop.map((x) => `stop: ${x}`), ...s.budgets.map((b) => `budget: ${b}`)],
      rows: levelRows(s),
    },
  };
}
