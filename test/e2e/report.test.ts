import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PNG_HEIGHT, PNG_WIDTH } from '../../src/report/png.js';
import { measureLayout, openReport } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { decodePng, luminanceVariance } from '../support/png.js';

const fixture = fileURLToPath(new URL('../fixtures/results/tenant-smoke.json', import.meta.url));
const CHART_IDS = ['latency-spectrum', 'throughput', 'throttling-conflicts', 'latency-p99'];

/**
 * Checks that report.html fits a 1400-pixel-wide window: the page does not scroll sideways, and
 * every table shows all its columns within its section.
 */
async function expectFitsWindow(html: string): Promise<void> {
  const layout = await measureLayout(html, { width: 1400, height: 900 });
  expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
  expect(layout.tables.length).toBeGreaterThan(0);
  for (const t of layout.tables) {
    expect(t.wrapperRight, t.section).toBeLessThanOrEqual(layout.innerWidth);
    expect(t.tableWidth, t.section).toBeLessThanOrEqual(t.wrapperWidth);
  }
}

/** Width and height from a PNG's IHDR chunk; throws if `png` is not a PNG. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('apfbench report', () => {
  let out: string;
  let stdout: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'apfbench-report-'));
    const res = await runCli(['report', fixture, '--out', out], { timeoutMs: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    stdout = res.stdout;
  });

  it('prints every file it writes', async () => {
    const expected = ['report.html', 'summary.md', ...CHART_IDS.map((id) => `${id}.png`)];
    expect(stdout.trim().split('\n')).toEqual(expected.map((f) => join(out, f)));
    expect((await readdir(out)).sort()).toEqual([...expected].sort());
  });

  it('writes a report.html that renders every chart offline in Chromium, without errors', async () => {
    const screenshot = join(out, 'report.png');
    const page = await openReport(join(out, 'report.html'), screenshot);
    console.log(`report screenshot: ${screenshot}`);
    expect(page.canvases.map((c) => c.id)).toEqual(CHART_IDS);
    for (const c of page.canvases) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.painted, c.id).toBeGreaterThan(5000);
    }
    expect(page.verdicts).toContain('OK No 429s: API Priority and Fairness rejected nothing.');
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([page.url]);
  });

  it('writes one real, non-blank PNG per chart', async () => {
    for (const id of CHART_IDS) {
      const png = await readFile(join(out, `${id}.png`));
      expect(pngSize(png), id).toEqual({ width: PNG_WIDTH, height: PNG_HEIGHT });
      expect(luminanceVariance(await decodePng(png)), id).toBeGreaterThan(100);
    }
  });

  it('refuses a file that is not a result, with exit code 2', async () => {
    const res = await runCli(['report', join(out, 'summary.md'), '--out', out, '--no-png'], {
      timeoutMs: 60_000,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('error [APFBENCH_REPORT_INPUT_INVALID]');
  });
});

describe('apfbench report of a run with faults', () => {
  const faulted = fileURLToPath(
    new URL('../fixtures/results/apiserver-restart.json', import.meta.url),
  );
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'apfbench-report-faults-'));
    const res = await runCli(['report', faulted, '--out', out], { timeoutMs: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('lists the restart with its relist storm, and marks it on the charts without errors', async () => {
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<section id="faults"><h2>Faults</h2>');
    expect(html).toContain('apfbench-fault-marks');
    const page = await openReport(join(out, 'report.html'), join(out, 'report.png'));
    expect(page.errors).toEqual([]);
    for (const c of page.canvases) expect(c.painted, c.id).toBeGreaterThan(5000);
    const md = (await readFile(join(out, 'summary.md'), 'utf8')).split('\n');
    // The recorded run: a restart 20 s into the window, ready 1.99 s later; 60 relists and 120
    // reopened watches in the 2 s after it, none before; no 429s; 10 watch events lost.
    expect(md).toContain(
      '| restart-apiserver | 20 s | 20 s | 1.99 s | 2 s | 60 + 120 | 119 (0) | none | 10 |',
    );
  });

  it('fits a 1400-pixel-wide window, the faults table whole', async () => {
    await expectFitsWindow(join(out, 'report.html'));
  });

  it('writes real, non-blank PNGs', async () => {
    const png = await readFile(join(out, 'throughput.png'));
    expect(pngSize(png)).toEqual({ width: PNG_WIDTH, height: PNG_HEIGHT });
    expect(luminanceVariance(await decodePng(png))).toBeGreaterThan(100);
  });
});

const comparisonFixture = fileURLToPath(
  new URL('../fixtures/comparisons/listers/comparison.json', import.meta.url),
);
const RUNS = ['k8s-defaults-1', 'tight-1', 'tight-2', 'k8s-defaults-2'];
const PANELS = [
  'throughput',
  'throttling-conflicts',
  'latency-p99',
  'server-executing-seats',
  'server-inqueue-requests',
];
const COMPARISON_CHART_IDS = [
  'latency-spectrum-lister',
  'latency-spectrum-reader',
  ...PANELS.flatMap((panel) => RUNS.map((run) => `${panel}-${run}`)),
];

describe('apfbench report comparison.json', () => {
  let out: string;
  let stdout: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'apfbench-report-comparison-'));
    const res = await runCli(['report', comparisonFixture, '--out', out], { timeoutMs: 120_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    stdout = res.stdout;
  });

  it('writes report.html, summary.md and one PNG per chart', async () => {
    const expected = [
      'report.html',
      'summary.md',
      ...COMPARISON_CHART_IDS.map((id) => `${id}.png`),
    ];
    expect(stdout.trim().split('\n')).toEqual(expected.map((f) => join(out, f)));
    const png = await readFile(join(out, 'throughput-tight-1.png'));
    expect(pngSize(png)).toEqual({ width: PNG_WIDTH, height: PNG_HEIGHT });
  });

  it('renders the profiles side by side in Chromium, offline, without errors', async () => {
    const screenshot = join(out, 'comparison.png');
    const page = await openReport(join(out, 'report.html'), screenshot);
    console.log(`comparison screenshot: ${screenshot}`);
    expect(page.canvases.map((c) => c.id)).toEqual(COMPARISON_CHART_IDS);
    for (const c of page.canvases) {
      expect(c.width, c.id).toBeGreaterThan(250);
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.painted, c.id).toBeGreaterThan(5000);
    }
    // The runs of a panel share their axes.
    for (const panel of PANELS) {
      const maxima = page.canvases.filter((c) => c.id.startsWith(`${panel}-`)).map((c) => c.yMax);
      expect(new Set(maxima).size, panel).toBe(1);
    }
    expect(page.verdicts[0]).toMatch(
      /^FAIL 429s \(mean of 2 runs each\): tight: 558 429s \(lister: 532, reader: 25.5\) vs 0 under k8s-defaults/,
    );
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([page.url]);
  });

  it('fits a 1400-pixel-wide window, every table whole', async () => {
    await expectFitsWindow(join(out, 'report.html'));
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The listers comparison as a demo-like run writes it: started with --apiserver-arg, the lister
 * named noisy (--noisy) and the only group throttled, and some of its requests abandoned when
 * the drain ended.
 */
async function demoLikeComparison(dir: string): Promise<string> {
  await cp(join(comparisonFixture, '..'), dir, { recursive: true });
  const file = join(dir, 'comparison.json');
  const comparison = JSON.parse(await readFile(file, 'utf8')) as Json;
  comparison.serverArgs = ['max-requests-inflight=20', 'max-mutating-requests-inflight=10'];
  await writeFile(file, JSON.stringify(comparison, null, 2));
  for (const run of comparison.runs as { profile: string; result: string }[]) {
    const path = join(dir, run.result);
    const result = JSON.parse(await readFile(path, 'utf8')) as Json;
    result.fairness.latencyRatios = [{ victim: 'reader', noisy: 'lister', p50: 1, p99: 1 }];
    const { reader, lister } = {
      reader: result.actors.reader.requests as Json,
      lister: result.actors.lister.requests as Json,
    };
    reader.byCode['200'] += reader.byCode['429'] ?? 0;
    delete reader.byCode['429'];
    reader.throttled = 0;
    reader.errors = 0;
    if (run.profile === 'tight') {
      lister.byCode['error:ERR_POOL_DESTROYED'] = 7;
      lister.errors += 7;
    }
    await writeFile(path, JSON.stringify(result, null, 2));
  }
  return file;
}

describe('apfbench report on a comparison run with --apiserver-arg and a noisy group', () => {
  let out: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-report-demo-like-'));
    out = join(dir, 'report');
    const res = await runCli(['report', await demoLikeComparison(dir), '--out', out, '--no-png'], {
      timeoutMs: 60_000,
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it("shows the flags every run started with, merged with the profile's own", async () => {
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(
      '<td>k8s-defaults</td><td>profiles/k8s-defaults.yaml</td><td>--max-requests-inflight=20 --max-mutating-requests-inflight=10</td>',
    );
    expect(html).toContain('<td>--max-requests-inflight=6 --max-mutating-requests-inflight=3</td>');
    expect(html).not.toContain('<td>defaults</td>');
    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md).toContain(
      'API-server flags · k8s-defaults: `--max-requests-inflight=20 --max-mutating-requests-inflight=10` · tight: `--max-requests-inflight=6 --max-mutating-requests-inflight=3`',
    );
  });

  it("names the noisy group's 429s and abandoned requests, which are not errors", async () => {
    const md = (await readFile(join(out, 'summary.md'), 'utf8')).split('\n');
    // The interval comes from comparison.json's figures, which this test leaves as they were.
    expect(md.find((line) => line.includes('429s (mean'))).toMatch(
      /^- ⚠️ 429s \(mean of 2 runs each\): tight: 532 429s \(all lister\) vs 0 under k8s-defaults; .*; every 429 went to a group named noisy \(--noisy\): APF held back the noisy neighbour, not its victims\.$/,
    );
    expect(md).toContain(
      '- ⚠️ Requests still in flight when the drain ended, abandoned (mean of 2 runs each): tight: 7 abandoned (all lister) vs 0 under k8s-defaults; not counted as errors.',
    );
    expect(md.some((line) => line.includes('Other error responses'))).toBe(false);
  });

  it('fits a 1400-pixel-wide window, every table whole', async () => {
    await expectFitsWindow(join(out, 'report.html'));
  });
});

describe('apfbench report on a result.json of the wrong shape', () => {
  it('exits 2 naming the file, line and field, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-report-bad-'));
    const result = JSON.parse(await readFile(fixture, 'utf8')) as { timeline: unknown };
    result.timeline = {};
    const file = join(dir, 'result.json');
    await writeFile(file, JSON.stringify(result, null, 2));
    const res = await runCli(['report', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(
        `^error \\[APFBENCH_REPORT_INPUT_INVALID\\]: invalid result \\(1 problem\\):\\n${file}:\\d+:\\d+ timeline: must be a list\\n`,
      ),
    );
    expect(res.stderr).not.toContain('    at ');
    expect(await readdir(dir)).toEqual(['result.json']);
  });
});
