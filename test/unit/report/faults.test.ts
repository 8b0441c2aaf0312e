import { describe, expect, it } from 'vitest';
import { buildRunReport } from '../../../src/report/model.js';
import { chartConfig } from '../../../src/report/charts.js';
import { loadFixture } from './fixture.js';

describe('faults in the report model', () => {
  const fixture = loadFixture();
  // With a 2 s warm-up, a fault 1 s into the measured window is 3 s into the timeline.
  const base = {
    ...fixture,
    scenario: { ...fixture.scenario, spec: { ...fixture.scenario.spec, warmup: 2000 } },
  };
  const faulted = {
    ...base,
    faults: [
      {
        kind: 'pause-apiserver' as const,
        scheduledMs: 1000,
        durationMs: 500,
        startedAt: new Date(Date.parse(base.startedAt) + 4000).toISOString(),
        endedAt: new Date(Date.parse(base.startedAt) + 4500).toISOString(),
        fromMs: 1000,
        toMs: 1500,
      },
    ],
  };

  it('marks every time chart of a run with faults, at the timeline second, and no spectrum', () => {
    const model = buildRunReport(faulted);
    const timeCharts = model.charts.filter((c) => c.formats.x === 'seconds');
    expect(timeCharts.length).toBeGreaterThan(0);
    for (const c of timeCharts) {
      expect(c.marks, c.id).toEqual([{ from: 3, to: 3.5, label: 'pause-apiserver' }]);
      expect(chartConfig(c).options?.plugins?.apfbench?.marks, c.id).toEqual(c.marks);
    }
    for (const c of model.charts.filter((c) => c.formats.x === 'percentile')) {
      expect(c.marks, c.id).toBeUndefined();
    }
    expect(model.faults?.map((f) => [f.kind, f.scheduledMs, f.fromMs, f.toMs])).toEqual([
      ['pause-apiserver', 1000, 1000, 1500],
    ]);
  });

  it('leaves a run without faults as it was: no marks, no faults section', () => {
    const model = buildRunReport(base);
    expect(model.faults).toBeUndefined();
    for (const c of model.charts) {
      expect(c.marks).toBeUndefined();
      expect(chartConfig(c).options?.plugins?.apfbench).toEqual(c.formats);
    }
  });
});
