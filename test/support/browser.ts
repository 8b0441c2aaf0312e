import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's Chromium, never a downloaded browser; flags keep it from reaching any network. */
export const CHROMIUM = '/usr/bin/chromium';
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
    yMax: chart ? chart.scales.y.max : null,
  };
})`;

export interface CanvasState {
  id: string;
  width: number;
  height: number;
  /** Pixels with any paint: axes, labels and lines (a blank canvas paints nothing). */
  painted: number;
  /** Data points over the chart's datasets. */
  points: number;
  /** The y axis's upper bound as Chart.js laid it out. */
  yMax: number | null;
}

export interface OpenedReport {
  readonly canvases: CanvasState[];
  /** The text of each verdict line. */
  readonly verdicts: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  /** Every URL the browser requested. */
  readonly requests: string[];
  /** The file: URL of the report. */
  readonly url: string;
}

/**
 * Opens a report.html in headless Chromium, inspects its charts, saves a full-page screenshot
 * to `screenshot` and closes the browser.
 */
export async function openReport(html: string, screenshot: string): Promise<OpenedReport> {
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
    const url = pathToFileURL(html).href;
    await page.goto(url, { waitUntil: 'load' });
    const canvases = (await page.evaluate(INSPECT_CHARTS)) as CanvasState[];
    const verdicts = await page.locator('#verdicts li').allTextContents();
    await page.screenshot({ path: screenshot, fullPage: true });
    return { canvases, verdicts, errors, requests, url };
  } finally {
    await context.close();
  }
}
