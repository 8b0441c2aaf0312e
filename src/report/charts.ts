import type { ChartModel, ChartSeries } from './model.js';
import type { LineChartConfig } from './runtime.js';

/**
 * Okabe–Ito, the colour-blind-safe palette, ordered for contrast on white (its yellow last).
 * Series of a pair, and repeats of a profile, also differ by dash, so colour is never the only cue.
 */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#000000',
  '#F0E442',
] as const;

/** The dash of a pair's secondary series. */
const PAIR_DASH = [6, 4] as const;
/** The dash of each repeat of a profile, in turn: solid first. */
const REPEAT_DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]] as const;
/** Relative luminance below which a colour is shaded towards white, else towards black. */
const DARK_BELOW = 0.4;

/**
 * The palette colour `colour`, `shade` steps towards white (a dark colour) or black (a light
 * one), each step a smaller move: shade k goes k / (k + 2) of the way, so that every shade
 * differs from the others and none reaches the background. Shade 0 is the colour itself.
 */
export function seriesColour(colour: number, shade = 0): string {
  const base = PALETTE[colour % PALETTE.length]!;
  if (shade === 0) return base;
  const rgb = [0, 1, 2].map((i) => parseInt(base.slice(1 + 2 * i, 3 + 2 * i), 16));
  const [r, g, b] = rgb as [number, number, number];
  const towards = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < DARK_BELOW ? 255 : 0;
  const amount = shade / (shade + 2);
  const hex = (v: number) =>
    Math.round(v + (towards - v) * amount)
      .toString(16)
      .padStart(2, '0');
  return `#${rgb.map(hex).join('').toUpperCase()}`;
}

function seriesDash(s: ChartSeries): number[] {
  return [...(s.dashed ? PAIR_DASH : REPEAT_DASHES[(s.shade ?? 0) % REPEAT_DASHES.length]!)];
}

/** Width / height of every chart, in the page and in PNGs. */
export const CHART_ASPECT_RATIO = 2;

const TEXT = '#1f2328';
const GRID = '#d8dee4';

/**
 * The Chart.js configuration of a chart: plain JSON (embedded as is in the HTML report, used as
 * is for PNGs), with `options.plugins.apfbench` telling `reportRuntime().hydrate` which tick and
 * tooltip callbacks to add. Animation is off so that a chart is complete on its first paint.
 */
export function chartConfig(chart: ChartModel): LineChartConfig {
  const percentile = chart.formats.x === 'percentile';
  // The charts of a panel reach the same maxima, so they share their axes.
  const shared = chart.suggestedMax;
  const axisTitle = (text: string) => ({
    display: true,
    text,
    color: TEXT,
    font: { size: 13, weight: 'bold' as const },
  });
  return {
    type: 'line',
    data: {
      datasets: chart.series.map((s) => {
        const colour = seriesColour(s.colour, s.shade);
        return {
          label: s.label,
          data: s.points.map((p) => ({ x: p.x, y: p.y })),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          borderDash: seriesDash(s),
          // A sweep's levels are few and each is a measurement: every one is drawn.
          pointRadius: percentile ? 2 : chart.formats.x === 'load' ? 3 : 0,
          pointHoverRadius: 4,
          tension: 0,
          spanGaps: false,
        };
      }),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: CHART_ASPECT_RATIO,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      color: TEXT,
      scales: {
        x: {
          type: percentile ? 'logarithmic' : 'linear',
          ...(percentile ? { min: 1 } : {}),
          ...(shared === undefined ? {} : { min: percentile ? 1 : 0, suggestedMax: shared.x }),
          title: axisTitle(chart.xTitle),
          grid: { color: GRID },
          ticks: { color: TEXT },
        },
        y: {
          type: 'linear',
          beginAtZero: true,
          grace: '5%',
          ...(shared === undefined ? {} : { suggestedMax: shared.y }),
          title: axisTitle(chart.yTitle),
          grid: { color: GRID },
          ticks: { color: TEXT },
        },
      },
      plugins: {
        title: {
          display: true,
          text: chart.title,
          color: TEXT,
          font: { size: 16, weight: 'bold' },
        },
        legend: { position: 'bottom', labels: { color: TEXT, boxWidth: 32, boxHeight: 3 } },
        apfbench:
          chart.marks === undefined ? chart.formats : { ...chart.formats, marks: chart.marks },
      },
    },
  };
}
