import { describe, expect, it } from 'vitest';
import { buildSweepReport, kneeSentences, renderMarkdown } from '../../../src/report/index.js';
import { parseSweep, SWEEP_SCHEMA_VERSION } from '../../../src/result/result.js';
import { LISTERS_STOP, listersSweep } from '../../support/sweep-fixture.js';

describe('sweep.json', () => {
  it('records each level verdict and each profile knee, and reads back through its schema', async () => {
    const { sweep } = await listersSweep();
    const parsed = parseSweep(
      { source: 'sweep.json', value: JSON.parse(JSON.stringify(sweep)) },
      { shape: 'APFBENCH_REPORT_INPUT_INVALID', version: 'APFBENCH_SWEEP_SCHEMA_VERSION' },
    );
    expect(parsed).toEqual(sweep);
    expect(parsed.schemaVersion).toBe(SWEEP_SCHEMA_VERSION);
    expect(parsed.stop).toEqual([LISTERS_STOP]);
    // tight stopped at its first level: its second was not run.
    expect(parsed.runs.map((r) => [r.profile, r.level])).toEqual([
      ['k8s-defaults', 0],
      ['k8s-defaults', 1],
      ['tight', 0],
    ]);
    expect(parsed.knees).toEqual([
      { profile: 'k8s-defaults', row: 0, knee: 1, holdsUpTo: 0 },
      { profile: 'tight', row: 0, knee: 0, holdsUpTo: null },
    ]);
  });

  it('refuses another schema version with its own code', async () => {
    const { sweep } = await listersSweep();
    expect(() =>
      parseSweep(
        { source: 'sweep.json', value: { ...sweep, schemaVersion: 99 } },
        { shape: 'APFBENCH_REPORT_INPUT_INVALID', version: 'APFBENCH_SWEEP_SCHEMA_VERSION' },
      ),
    ).toThrow(expect.objectContaining({ code: 'APFBENCH_SWEEP_SCHEMA_VERSION' }));
  });
});

describe('the sweep report', () => {
  it('states each knee, with what broke there', async () => {
    const { sweep } = await listersSweep();
    expect(kneeSentences(sweep)).toEqual([
      'k8s-defaults holds up to 100/s of spec.actors[lister].rate; breaks at 200/s (stop: reader.latencyMs.p99 > 2000 (observed 3969 ms))',
      'tight breaks at 100/s (stop: reader.latencyMs.p99 > 2000 (observed 2998 ms)), the lowest level run',
    ]);
  });

  it('draws a capacity curve per figure, a line per profile, the knees marked on each', async () => {
    const { sweep, results } = await listersSweep();
    const model = buildSweepReport(sweep, results);
    expect(model.charts.map((c) => c.id)).toEqual([
      'capacity-p99-lister',
      'capacity-p99-reader',
      'capacity-429-ratio',
      'capacity-jain',
    ]);
    const reader = model.charts[1]!;
    expect(reader.formats).toEqual({ x: 'load', y: 'ms' });
    expect(reader.series.map((s) => [s.label, s.points])).toEqual([
      [
        'k8s-defaults',
        [
          { x: 100, y: results[0]!.actors.reader!.requests.latencyMs.p99 },
          { x: 200, y: results[1]!.actors.reader!.requests.latencyMs.p99 },
        ],
      ],
      ['tight', [{ x: 100, y: results[2]!.actors.reader!.requests.latencyMs.p99 }]],
    ]);
    for (const chart of model.charts) {
      expect(chart.marks, chart.id).toEqual([
        { from: 200, to: 200, label: 'k8s-defaults knee' },
        { from: 100, to: 100, label: 'tight knee' },
      ]);
    }
    expect(model.verdicts.map((v) => [v.level, v.topic])).toEqual([
      ['warn', 'capacity'],
      ['warn', 'capacity'],
    ]);
    expect(model.sweep?.rows.map((r) => [r.profile, r.level, r.verdict, r.knee])).toEqual([
      ['k8s-defaults', 'rate=100/s', 'ok', false],
      ['k8s-defaults', 'rate=200/s', 'broken', true],
      ['tight', 'rate=100/s', 'broken', true],
      ['tight', 'rate=200/s', 'not run', false],
    ]);
  });

  it('draws the least and the most of the repeats as dashed lines', async () => {
    const { sweep, results } = await listersSweep();
    // Runs 01 and 04 as two repeats of k8s-defaults's first level.
    const repeated = {
      ...sweep,
      repeat: 2,
      runs: [sweep.runs[0]!, { ...sweep.runs[1]!, level: 0, repeat: 1 }],
      verdicts: [sweep.verdicts[0]!],
      knees: [],
    };
    const chart = buildSweepReport(repeated, results.slice(0, 2)).charts.find(
      (c) => c.id === 'capacity-p99-lister',
    )!;
    const [a, b] = results.map((r) => r.actors.lister!.requests.latencyMs.p99) as [number, number];
    expect(chart.series.map((s) => [s.label, s.dashed, s.points[0]!.y])).toEqual([
      ['k8s-defaults', false, (a + b) / 2],
      ['k8s-defaults, least of 2 runs', true, Math.min(a, b)],
      ['k8s-defaults, most of 2 runs', true, Math.max(a, b)],
    ]);
    expect(chart.marks).toBeUndefined();
  });

  it('puts the levels table and the knees in summary.md', async () => {
    const { sweep, results } = await listersSweep();
    const md = renderMarkdown(buildSweepReport(sweep, results));
    expect(md).toContain('- ⚠️ tight breaks at 100/s');
    expect(md).toContain('| k8s-defaults | rate=200/s | 1 | broken (knee) |');
    expect(md).toContain('| tight | rate=200/s | 0 | not run | – |');
  });
});
