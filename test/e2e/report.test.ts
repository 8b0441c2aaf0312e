import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PNG_HEIGHT, PNG_WIDTH } from '../../src/report/png.js';
import { runCli } from '../support/cli.js';

const fixture = fileURLToPath(new URL('../fixtures/results/tenant-smoke.json', import.meta.url));
const CHART_IDS = ['latency-spectrum', 'throughput', 'throttling-conflicts', 'latency-p99'];

/** Debian's Chromium, never a downloaded browser; flags keep it from reaching any network. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs in the page: what each chart canvas holds. */
const INSPECT_CHARTS = `[...document.querySelectorAll('canvas')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return {
    id: canvas.dataset.chartId,
    width: canvas.width,
    height: canvas.height,
    painted,
    points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0,
  };
})`;

interface CanvasState {
  id: string;
  width: number;
  height: number;
  painted: number;
  points: number;
}

/** canvas is an optional dependency: imported by a variable specifier, typed by the part used. */
const CANVAS = 'canvas';
interface CanvasModule {
  loadImage(png: Buffer): Promise<{ width: number; height: number }>;
  createCanvas(
    width: number,
    height: number,
  ): {
    getContext(kind: '2d'): {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
  };
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
    const profile = await mkdtemp(join(tmpdir(), 'apfbench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1200, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      context.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(join(out, 'report.html')).href;
      await page.goto(url, { waitUntil: 'load' });

      const canvases = (await page.evaluate(INSPECT_CHARTS)) as CanvasState[];
      expect(canvases.map((c) => c.id)).toEqual(CHART_IDS);
      for (const c of canvases) {
        expect(c.width, c.id).toBeGreaterThan(300);
        expect(c.points, c.id).toBeGreaterThan(0);
        // Axes, labels and lines: a blank canvas paints nothing.
        expect(c.painted, c.id).toBeGreaterThan(5000);
      }
      expect(await page.locator('#verdicts li').allTextContents()).toContain(
        'OK No 429s: API Priority and Fairness rejected nothing.',
      );
      const screenshot = join(out, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`report screenshot: ${screenshot}`);

      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await context.close();
    }
  });

  it('writes one real, non-blank PNG per chart', async () => {
    const { createCanvas, loadImage } = (await import(CANVAS)) as CanvasModule;
    for (const id of CHART_IDS) {
      const png = await readFile(join(out, `${id}.png`));
      expect(pngSize(png), id).toEqual({ width: PNG_WIDTH, height: PNG_HEIGHT });
      const image = await loadImage(png);
      const ctx = createCanvas(image.width, image.height).getContext('2d');
      ctx.drawImage(image, 0, 0);
      const { data } = ctx.getImageData(0, 0, image.width, image.height);
      let sum = 0;
      let sumSquares = 0;
      const n = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const luminance = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
        sum += luminance;
        sumSquares += luminance * luminance;
      }
      const variance = sumSquares / n - (sum / n) ** 2;
      expect(variance, id).toBeGreaterThan(100);
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
