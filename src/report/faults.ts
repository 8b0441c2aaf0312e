// The faults of a run in its report: a row each (with the relist storm that followed), and the
// band that marks each on the time charts.
import { faultImpact, type FaultImpact, type FaultRecord } from '../metrics/faults.js';
import type { Plugin } from 'chart.js';
import type { RunResult } from '../result/result.js';
import type { Column } from './tables.js';
import { runtime } from './runtime.js';
import { watchOf } from './totals.js';

/** A band on a time chart, in the chart's x units (s): a fault from its start to its end. */
export interface ChartMark {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface FaultRow {
  readonly run: string;
  readonly kind: FaultRecord['kind'];
  /** The scenario's `at`, ms from the measured window's start. */
  readonly scheduledMs: number;
  /** Its actual start and end, ms from the same start; and its wall-clock start. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly startedAt: string;
  readonly error: string | undefined;
  readonly impact: FaultImpact;
  /** Watch events lost over the whole run (write ledger); undefined where nothing watched for them. */
  readonly watchLost: number | undefined;
}

/** ms from the measured window's start → s since the load started (the timeline's t). */
const timelineSeconds = (r: RunResult, ms: number) => (r.scenario.spec.warmup + ms) / 1000;

/** One row per fault of `r`, each with the storm up to the next fault. */
export function faultRows(run: string, r: RunResult): FaultRow[] {
  const faults = r.faults ?? [];
  const lost = watchOf(r)?.lost;
  return faults.map((f, i) => {
    const next = faults[i + 1];
    return {
      run,
      kind: f.kind,
      scheduledMs: f.scheduledMs,
      fromMs: f.fromMs,
      toMs: f.toMs,
      startedAt: f.startedAt,
      error: f.error,
      impact: faultImpact(
        r.timeline,
        { from: timelineSeconds(r, f.fromMs), to: timelineSeconds(r, f.toMs) },
        next === undefined ? Infinity : timelineSeconds(r, next.fromMs),
      ),
      watchLost: lost,
    };
  });
}

/** Marks for the charts of the timeline (x: s since the load started). */
export function timelineMarks(r: RunResult): ChartMark[] {
  return (r.faults ?? []).map((f) => ({
    from: timelineSeconds(r, f.fromMs),
    to: timelineSeconds(r, f.toMs),
    label: f.kind,
  }));
}

/** Marks for charts whose x counts from `originEpochMs` (the server's series: `startedAt`). */
export function wallClockMarks(r: RunResult, originEpochMs: number): ChartMark[] {
  return (r.faults ?? []).map((f) => ({
    from: (Date.parse(f.startedAt) - originEpochMs) / 1000,
    to: (Date.parse(f.endedAt) - originEpochMs) / 1000,
    label: f.kind,
  }));
}

const { formatCount, formatMs } = runtime;
const seconds = (ms: number) => formatMs(ms);

/** The faults table, the same in the page and in summary.md. */
export function faultColumns(multi: boolean): Column<FaultRow>[] {
  const columns: Column<FaultRow>[] = [
    {
      head: 'Fault',
      numeric: false,
      cell: (f) => (f.error ? `${f.kind} (failed: ${f.error})` : f.kind),
    },
    { head: 'Scheduled', numeric: true, cell: (f) => seconds(f.scheduledMs) },
    { head: 'Started', numeric: true, cell: (f) => seconds(f.fromMs) },
    { head: 'Lasted', numeric: true, cell: (f) => seconds(f.toMs - f.fromMs) },
    {
      head: 'Relist storm',
      numeric: true,
      cell: (f) =>
        f.impact.backAt === undefined
          ? 'not over'
          : seconds(Math.max(0, f.impact.backAt - f.impact.from) * 1000),
    },
    {
      head: 'Relists + re-watches',
      numeric: true,
      cell: (f) => `${formatCount(f.impact.relists)} + ${formatCount(f.impact.rewatches)}`,
    },
    {
      head: 'Peak /s (usual)',
      numeric: true,
      cell: (f) => `${formatCount(f.impact.peakPerSecond)} (${formatCount(f.impact.baseline)})`,
    },
    {
      head: '429s in the storm',
      numeric: false,
      cell: (f) => {
        const by = Object.entries(f.impact.throttledByGroup).sort(([a], [b]) => a.localeCompare(b));
        return by.length === 0 ? 'none' : by.map(([g, n]) => `${g} ${formatCount(n)}`).join(', ');
      },
    },
    {
      head: 'Watch events lost',
      numeric: true,
      cell: (f) => (f.watchLost === undefined ? '–' : formatCount(f.watchLost)),
    },
  ];
  return multi ? [{ head: 'Run', numeric: false, cell: (f) => f.run }, ...columns] : columns;
}

/** What the faults table's figures mean, under it in the page and in summary.md. */
export const FAULTS_NOTE =
  'Times are from the start of the measured window. A restart or etcd stop lasts until the server is ready again. ' +
  'Relist storm: from the fault to the end of the last interval whose relists (LISTs after 410) and reopened watches, over all groups, exceed the most any interval had before the fault (the usual level, in brackets); ' +
  '"not over" when the run (or the next fault) came first. 429s in the storm: per group, over the same time. ' +
  "Watch events lost: the write ledger's watch.lost over the whole run.";

/**
 * A Chart.js plugin drawing each chart's marks (`options.plugins.apfbench.marks`) as a shaded
 * band with a line at its start and its label; a chart without marks is left as it is.
 * Self-contained, as `reportRuntime` is: the HTML report inlines its source text, and only
 * when some chart has marks, so that a report without faults keeps its bytes.
 */
export function faultMarksPlugin(): Plugin<'line'> {
  return {
    id: 'apfbench-fault-marks',
    beforeDatasetsDraw(chart) {
      const marks = chart.options.plugins?.apfbench?.marks ?? [];
      const x = chart.scales.x;
      if (marks.length === 0 || x === undefined) return;
      const { ctx, chartArea: area } = chart;
      const clamp = (v: number) => Math.min(area.right, Math.max(area.left, v));
      ctx.save();
      // The chart's own family: PNGs have only the bundled font.
      ctx.font = `12px ${chart.options.font?.family ?? 'sans-serif'}`;
      ctx.textBaseline = 'top';
      marks.forEach((m, i) => {
        if (m?.from === undefined || m.to === undefined) return;
        const from = clamp(x.getPixelForValue(m.from));
        const to = clamp(x.getPixelForValue(m.to));
        ctx.fillStyle = 'rgba(213, 94, 0, 0.14)';
        ctx.fillRect(from, area.top, Math.max(2, to - from), area.bottom - area.top);
        ctx.strokeStyle = '#D55E00';
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(from, area.top);
        ctx.lineTo(from, area.bottom);
        ctx.stroke();
        ctx.fillStyle = '#A33F00';
        ctx.fillText(m.label ?? '', from + 4, area.top + 4 + (i % 2) * 14);
      });
      ctx.restore();
    },
  };
}
