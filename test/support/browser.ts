import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, used when installed (it starts faster: nothing to extract). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
/** Flags that keep the browser from reaching any network. */
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

/** Which Chromium to drive: a binary's path, or the one inside the @sparticuz/chromium package. */
export type ChromiumChoice =
  { readonly kind: 'path'; readonly path: string } | { readonly kind: 'npm' };

/**
 * The Chromium for `APFBENCH_CHROMIUM` (`setting`): `npm` forces the npm package's, a path names
 * a binary, and unset (or empty) means Debian's when it is installed, else the npm package's.
 * Never a browser downloaded at test time: both choices come with `npm ci` or the system.
 */
export function chooseChromium(
  setting: string | undefined,
  debianInstalled: boolean,
): ChromiumChoice {
  if (setting === 'npm') return { kind: 'npm' };
  if (setting !== undefined && setting !== '') return { kind: 'path', path: setting };
  return debianInstalled ? { kind: 'path', path: DEBIAN_CHROMIUM } : { kind: 'npm' };
}

/**
 * Launches headless Chromium with a fresh profile. The npm package's binary is extracted to the
 * temporary directory on first use and reused after; its fontconfig file (extracted beside it)
 * names the fonts it ships, so pages have text on a machine without system fonts.
 */
async function launchChromium(viewport: {
  width: number;
  height: number;
}): Promise<BrowserContext> {
  const choice = chooseChromium(process.env['APFBENCH_CHROMIUM'], existsSync(DEBIAN_CHROMIUM));
  const executablePath =
    choice.kind === 'npm' ? await sparticuzChromium.executablePath() : choice.path;
  const env: Record<string, string | undefined> =
    choice.kind === 'npm'
      ? { ...process.env, FONTCONFIG_PATH: join(tmpdir(), 'fonts') }
      : process.env;
  const profile = await mkdtemp(join(tmpdir(), 'apfbench-chromium-'));
  try {
    return await chromium.launchPersistentContext(profile, {
      executablePath,
      args: CHROMIUM_ARGS,
      env,
      headless: true,
      viewport,
    });
  } catch (err) {
    if (choice.kind !== 'npm') throw err;
    throw new Error(
      `the Chromium of @sparticuz/chromium did not start; if an earlier extraction was cut short, remove ${executablePath} and ${join(tmpdir(), 'fonts')} and retry`,
      { cause: err },
    );
  }
}

/** Runs in the page: what each chart canvas holds. */
const INSPECT_CHARTS = `[...document.querySelectorAll('canvas')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  let markPixels = 0;
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] > 0) painted++;
    // The marks' line (#D55E00) and label (#A33F00), where drawn over most of a pixel: far
    // redder than green and blue, which no palette colour of the first four series is.
    const [r, g, b] = [data[i - 3], data[i - 2], data[i - 1]];
    if (data[i] === 255 && r - g > 80 && r - b > 100) markPixels++;
  }
  return {
    id: canvas.dataset.chartId,
    width: canvas.width,
    height: canvas.height,
    painted,
    points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0,
    yMax: chart ? chart.scales.y.max : null,
    marks: chart ? (chart.options.plugins.apfbench?.marks ?? []).map((m) => m.label) : [],
    markPixels,
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
  /** The labels of the marks (faults, knees) the chart was given. */
  marks: string[];
  /** Opaque pixels in the marks' colours: well above 0, a mark was drawn. */
  markPixels: number;
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
  const context = await launchChromium({ width: 1200, height: 900 });
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

/** How a page lays out in a window: its scrolling width and each table's box. */
export interface PageLayout {
  readonly innerWidth: number;
  /** `document.scrollingElement.scrollWidth`: above innerWidth, the page scrolls sideways. */
  readonly scrollWidth: number;
  readonly tables: readonly {
    /** The id of the section holding the table. */
    readonly section: string;
    /** The right edge of the table's scrolling wrapper, in window pixels. */
    readonly wrapperRight: number;
    readonly wrapperWidth: number;
    /** The table's full width: above wrapperWidth, columns are hidden until scrolled to. */
    readonly tableWidth: number;
  }[];
}

/** Runs in the page: its width and each table's. */
const MEASURE_LAYOUT = `({
  innerWidth,
  scrollWidth: document.scrollingElement.scrollWidth,
  tables: [...document.querySelectorAll('table')].map((table) => {
    const wrapper = table.parentElement;
    return {
      section: table.closest('section')?.id ?? '',
      wrapperRight: wrapper.getBoundingClientRect().right,
      wrapperWidth: wrapper.clientWidth,
      tableWidth: table.scrollWidth,
    };
  }),
})`;

/** Opens a report.html in headless Chromium in a window of `viewport` and measures its layout. */
export async function measureLayout(
  html: string,
  viewport: { width: number; height: number },
): Promise<PageLayout> {
  const context = await launchChromium(viewport);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    return (await page.evaluate(MEASURE_LAYOUT)) as PageLayout;
  } finally {
    await context.close();
  }
}
