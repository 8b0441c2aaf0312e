import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openReport } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { LISTERS_RUNS, listersSweep } from '../support/sweep-fixture.js';

const CHART_IDS = [
  'capacity-p99-lister',
  'capacity-p99-reader',
  'capacity-429-ratio',
  'capacity-jain',
];

describe('apfbench report on a sweep directory', () => {
  let out: string;
  let stdout: string;

  beforeAll(async () => {
    // A sweep.json over real results, next to the runs/ it names, as sweep writes them.
    out = await mkdtemp(join(tmpdir(), 'apfbench-report-sweep-'));
    await cp(LISTERS_RUNS, join(out, 'runs'), { recursive: true });
    const { sweep } = await listersSweep();
    await writeFile(join(out, 'sweep.json'), `${JSON.stringify(sweep, null, 2)}\n`);
    const res = await runCli(['report', out], { timeoutMs: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    stdout = res.stdout;
  });

  it('writes report.html, summary.md and a PNG per capacity curve into the directory', () => {
    const expected = ['report.html', 'summary.md', ...CHART_IDS.map((id) => `${id}.png`)];
    expect(stdout.trim().split('\n')).toEqual(expected.map((f) => join(out, f)));
  });

  it('renders the capacity curves in Chromium, offline, with each knee marked and stated', async () => {
    const screenshot = join(out, 'sweep.png');
    const page = await openReport(join(out, 'report.html'), screenshot);
    console.log(`sweep report screenshot: ${screenshot}`);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([page.url]);
    expect(page.canvases.map((c) => c.id)).toEqual(CHART_IDS);
    for (const c of page.canvases) {
      expect(c.painted, c.id).toBeGreaterThan(5000);
      // k8s-defaults: two levels; tight: one (it stopped at its first).
      expect(c.points, c.id).toBe(3);
      expect(c.marks, c.id).toEqual(['k8s-defaults knee', 'tight knee']);
      expect(c.markPixels, c.id).toBeGreaterThan(50);
    }
    expect(page.verdicts).toEqual([
      'WARN k8s-defaults holds up to 100/s of spec.actors[lister].rate; breaks at 200/s (stop: reader.latencyMs.p99 > 2000 (observed 3969 ms)).',
      'WARN tight breaks at 100/s (stop: reader.latencyMs.p99 > 2000 (observed 2998 ms)), the lowest level run.',
    ]);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<section id="sweep"><h2>Load levels</h2>');
    expect(html).toContain('<p class="kicker">apfbench sweep</p>');
  });
});
