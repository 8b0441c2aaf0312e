import { describe, expect, it } from 'vitest';
import { PALETTE, chartConfig, seriesColour } from '../../../src/report/charts.js';
import { buildComparisonReport, type ComparisonInput } from '../../../src/report/comparison.js';
import type { ChartModel, ChartSeries } from '../../../src/report/model.js';
import type { RunResult } from '../../../src/result/result.js';
import { loadFixture } from './fixture.js';

const chart = (series: ChartSeries[]): ChartModel => ({
  id: 'c',
  title: 'c',
  description: 'c',
  formats: { x: 'percentile', y: 'ms' },
  xTitle: 'x',
  yTitle: 'y',
  series,
});
const line = (colour: number, shade?: number, dashed = false): ChartSeries => ({
  label: `${colour}/${shade}`,
  points: [{ x: 1, y: 1 }],
  colour,
  dashed,
  ...(shade === undefined ? {} : { shade }),
});
const styles = (c: ChartModel) =>
  chartConfig(c).data.datasets.map((d) => JSON.stringify([d.borderColor, d.borderDash]));

describe('seriesColour', () => {
  it.each([
    [0, 0, '#0072B2'],
    [0, 1, '#55A1CC'],
    [0, 2, '#80B9D9'],
    [6, 1, '#555555'],
    [7, 1, '#A0982C'],
    [7, 3, '#605B1A'],
  ])('palette %i, shade %i: %s (dark colours lighten, light ones darken)', (colour, shade, hex) => {
    expect(seriesColour(colour, shade)).toBe(hex);
  });

  it('leaves a series without a shade in its palette colour', () => {
    expect(PALETTE.map((_, i) => seriesColour(i))).toEqual([...PALETTE]);
  });
});

describe('chartConfig', () => {
  it('draws every repeat of a profile in its own shade and dash, up to eight repeats', () => {
    for (let colour = 0; colour < PALETTE.length; colour++) {
      const repeats = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => line(colour, k));
      expect(new Set(styles(chart(repeats))).size, `palette ${colour}`).toBe(8);
    }
  });

  it('keeps the dash of a pair, and a solid line for a series without a shade', () => {
    const [plain, paired] = chartConfig(chart([line(2), line(2, undefined, true)])).data.datasets;
    expect([plain!.borderColor, plain!.borderDash]).toEqual([PALETTE[2], []]);
    expect([paired!.borderColor, paired!.borderDash]).toEqual([PALETTE[2], [6, 4]]);
  });
});

describe('a comparison repeated three times', () => {
  // Three runs of each profile, from one result: only their labels and styles matter here.
  const result: RunResult = loadFixture();
  const profiles = ['a', 'b'];
  const order = ['a', 'b', 'b', 'a', 'a', 'b'];
  const comparison: ComparisonInput = {
    scenario: 'tenant-smoke',
    status: 'completed',
    repeat: 3,
    profiles: profiles.map((name) => ({ name, file: `${name}.yaml`, apiserverArgs: [] })),
    runs: order.map((profile, index) => ({
      index,
      profile,
      repeat: order.slice(0, index).filter((p) => p === profile).length,
      status: 'completed',
      result: `${index}/result.json`,
      figures: {},
    })),
    summary: { baseline: 'a', figures: [] },
  };
  const model = buildComparisonReport(
    comparison,
    order.map(() => result),
  );

  it('labels each run `profile #k` and tells every run apart on the overlaid spectrum', () => {
    const spectrum = model.charts.find((c) => c.id === 'latency-spectrum-tenant')!;
    expect(spectrum.series.map((s) => s.label)).toEqual([
      'a #1',
      'b #1',
      'b #2',
      'a #2',
      'a #3',
      'b #3',
    ]);
    expect(new Set(styles(spectrum)).size).toBe(6);
  });
});
