/**
 * PNG charts: Chart.js drawing on @napi-rs/canvas, with the same configurations as the HTML
 * report.
 *
 * @napi-rs/canvas ships Skia prebuilt inside per-platform npm packages, so a plain `npm ci`
 * installs it with no compiler, system headers or download. It and Chart.js are imported on the
 * first PNG: commands that write none do not load them, and a platform with no prebuilt binary
 * still gets every other feature.
 *
 * Text is drawn in DejaVu Sans from an npm package, registered under a family name of its own, so
 * that a PNG looks the same on every machine, and has text at all on one without system fonts.
 */
import { createRequire } from 'node:module';
import type * as NapiCanvas from '@napi-rs/canvas';
import type * as ChartJs from 'chart.js';
import { ApfbenchError } from '../errors.js';
import { CHART_ASPECT_RATIO, chartConfig } from './charts.js';
import { faultMarksPlugin } from './faults.js';
import type { ChartModel } from './model.js';
import { runtime, type LineChartConfig } from './runtime.js';

export const PNG_WIDTH = 1000;
export const PNG_HEIGHT = PNG_WIDTH / CHART_ASPECT_RATIO;

/** The family PNG text is drawn in; no system font has this name, so the bundled one is used. */
export const PNG_FONT_FAMILY = 'apfbench-dejavu-sans';
/** The bundled font files (regular for ticks and legends, bold for titles), as package paths. */
const FONT_FILES = [
  '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff2',
  '@fontsource/dejavu-sans/files/dejavu-sans-latin-700-normal.woff2',
] as const;

type CanvasModule = Pick<typeof NapiCanvas, 'createCanvas' | 'GlobalFonts'>;
type ChartModule = Pick<typeof ChartJs, 'Chart' | 'registerables'>;

export type ModuleImporter = (specifier: string) => Promise<unknown>;

const NAPI_CANVAS = '@napi-rs/canvas';
const CHART_JS = 'chart.js';

/** Draws chart configurations as PNGs of PNG_WIDTH × PNG_HEIGHT on white. */
export interface ChartRenderer {
  render(config: LineChartConfig): Buffer;
}

/** Paints the background white: a canvas starts transparent, and a PNG viewer shows that dark or checkered. */
const whiteBackground: ChartJs.Plugin<'line'> = {
  id: 'apfbench-white-background',
  beforeDraw: ({ ctx, width, height }) => {
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/**
 * Loads @napi-rs/canvas and Chart.js and registers the bundled font. Throws
 * `APFBENCH_PNG_UNAVAILABLE` when either cannot be loaded (a platform @napi-rs/canvas has no
 * prebuilt binary for) or the font is missing.
 */
export async function loadChartRenderer(
  importModule: ModuleImporter = (specifier) => import(specifier),
): Promise<ChartRenderer> {
  let canvas: CanvasModule;
  let chartJs: ChartModule;
  try {
    canvas = (await importModule(NAPI_CANVAS)) as CanvasModule;
    chartJs = (await importModule(CHART_JS)) as ChartModule;
    registerFont(canvas.GlobalFonts);
  } catch (err) {
    throw pngUnavailable(err);
  }
  const { Chart, registerables } = chartJs;
  // Draws nothing on a chart without faults.
  const faultMarks = faultMarksPlugin();
  Chart.register(...registerables);
  // This Chart.js instance draws only PNGs; the HTML report embeds its own copy.
  Chart.defaults.font.family = PNG_FONT_FAMILY;
  return {
    render(config) {
      const surface = canvas.createCanvas(PNG_WIDTH, PNG_HEIGHT);
      // Not responsive: the canvas has no container to fit, so it keeps the size it was made with.
      const chart = new Chart(surface as unknown as ChartJs.ChartItem, {
        ...config,
        options: { ...config.options, responsive: false },
        plugins: [...(config.plugins ?? []), whiteBackground, faultMarks],
      });
      try {
        return surface.toBuffer('image/png');
      } finally {
        chart.destroy();
      }
    },
  };
}

function registerFont(fonts: CanvasModule['GlobalFonts']): void {
  const require = createRequire(import.meta.url);
  for (const file of FONT_FILES) {
    if (fonts.registerFromPath(require.resolve(file), PNG_FONT_FAMILY) === null)
      throw new Error(`the font ${file} could not be loaded`);
  }
}

function pngUnavailable(err: unknown): ApfbenchError {
  const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new ApfbenchError(
    'APFBENCH_PNG_UNAVAILABLE',
    `PNG export could not load ${NAPI_CANVAS}, Chart.js or its font on ${process.platform}-${process.arch} (${detail})`,
    {
      kind: 'environment',
      cause: err,
      hint:
        `${NAPI_CANVAS} installs its prebuilt binary from an optional per-platform package (Linux, macOS and Windows on x64 and arm64, and a few more): ` +
        'if npm skipped optional dependencies, reinstall with them (npm ci --include=optional). ' +
        'The HTML report and summary.md do not need it; pass --no-png to skip PNGs.',
    },
  );
}

/** One PNG per chart, as `{ file: '<chart id>.png', png }`, in chart order. */
export async function renderPngs(
  charts: readonly ChartModel[],
  importModule?: ModuleImporter,
): Promise<{ file: string; png: Buffer }[]> {
  const renderer = await loadChartRenderer(importModule);
  return charts.map((chart) => ({
    file: `${chart.id}.png`,
    png: renderer.render(runtime.hydrate(chartConfig(chart))),
  }));
}
