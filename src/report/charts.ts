import type { ChartModel } from './model.js';
import type { LineChartConfig } from './runtime.js';

/**
 * Okabe–Ito, the colour-blind-safe palette, ordered for contrast on white (its yellow last).
 * Series of a pair also differ by dash, so colour is never the only cue.
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
        const colour = PALETTE[s.colour % PALETTE.length]!;
        return {
          label: s.label,
          data: s.points.map((p) => ({ x: p.x, y: p.y })),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          borderDash: s.dashed ? [6, 4] : [],
          pointRadius: percentile ? 2 : 0,
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
        apfbench: chart.formats,
      },
    },
  };
}
