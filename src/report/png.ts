/**
 * PNG charts through chartjs-node-canvas, with the same configurations as the HTML report.
 *
 * `canvas` (and chartjs-node-canvas, which requires it) are optional dependencies: they build
 * from source against system libraries, and a machine without those still installs apfbench
 * and gets every other feature. They are imported lazily, on the first PNG, by specifiers held
 * in variables so that type-checking does not need them either.
 */
import { ApfbenchError } from '../errors.js';
import { CHART_ASPECT_RATIO, chartConfig } from './charts.js';
import type { ChartModel } from './model.js';
import { runtime, type LineChartConfig } from './runtime.js';

export const PNG_WIDTH = 1000;
export const PNG_HEIGHT = PNG_WIDTH / CHART_ASPECT_RATIO;

/** Debian packages canvas builds against. */
export const CANVAS_BUILD_PACKAGES = [
  'build-essential',
  'pkg-config',
  'libcairo2-dev',
  'libpango1.0-dev',
  'libjpeg-dev',
  'libgif-dev',
  'librsvg2-dev',
] as const;

/** The part of chartjs-node-canvas used here. */
interface ChartJsNodeCanvasModule {
  ChartJSNodeCanvas: new (opts: { width: number; height: number; backgroundColour?: string }) => {
    renderToBuffer(config: LineChartConfig, mimeType: 'image/png'): Promise<Buffer>;
  };
}

export type ModuleImporter = (specifier: string) => Promise<unknown>;

const CANVAS = 'canvas';
const CHARTJS_NODE_CANVAS = 'chartjs-node-canvas';

/**
 * Loads chartjs-node-canvas (which loads canvas and its native addon). Throws
 * `APFBENCH_PNG_UNAVAILABLE` naming the packages to install when either is missing or broken.
 */
export async function loadChartRenderer(
  importModule: ModuleImporter = (specifier) => import(specifier),
): Promise<ChartJsNodeCanvasModule> {
  try {
    // chartjs-node-canvas requires canvas only when it draws: load canvas (and its native
    // addon) here, so that a missing or broken build fails now, with the hint below.
    await importModule(CANVAS);
    const mod = (await importModule(CHARTJS_NODE_CANVAS)) as Partial<ChartJsNodeCanvasModule> & {
      default?: Partial<ChartJsNodeCanvasModule>;
    };
    const ChartJSNodeCanvas = mod.ChartJSNodeCanvas ?? mod.default?.ChartJSNodeCanvas;
    if (ChartJSNodeCanvas === undefined)
      throw new Error(`${CHARTJS_NODE_CANVAS} has no ChartJSNodeCanvas export`);
    return { ChartJSNodeCanvas };
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ApfbenchError(
      'APFBENCH_PNG_UNAVAILABLE',
      `PNG export needs the optional dependencies canvas and chartjs-node-canvas, which are not installed or did not build (${detail})`,
      {
        kind: 'environment',
        cause: err,
        hint:
          `install the libraries canvas builds against (Debian/Ubuntu: apt-get install -y ${CANVAS_BUILD_PACKAGES.join(' ')}), ` +
          'then reinstall apfbench (in a checkout: npm install, or npm rebuild canvas). ' +
          'The HTML report and summary.md do not need them; pass --no-png to skip PNGs.',
      },
    );
  }
}

/** One PNG per chart, as `{ file: '<chart id>.png', png }`, in chart order. */
export async function renderPngs(
  charts: readonly ChartModel[],
  importModule?: ModuleImporter,
): Promise<{ file: string; png: Buffer }[]> {
  const { ChartJSNodeCanvas } = await loadChartRenderer(importModule);
  const canvas = new ChartJSNodeCanvas({
    width: PNG_WIDTH,
    height: PNG_HEIGHT,
    backgroundColour: 'white',
  });
  const out: { file: string; png: Buffer }[] = [];
  for (const chart of charts) {
    const png = await canvas.renderToBuffer(runtime.hydrate(chartConfig(chart)), 'image/png');
    out.push({ file: `${chart.id}.png`, png });
  }
  return out;
}
