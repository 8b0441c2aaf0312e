/**
 * Reports from a result file: a model (model.ts) rendered as report.html, one PNG per chart and
 * summary.md. Callers (the `report` command, later `run` and `compare`) use `readReportInput`,
 * then `writeReport`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import { loadChartJsSource, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildRunReport, type ReportModel } from './model.js';
import { renderPngs, type ModuleImporter } from './png.js';
import { RESULT_SCHEMA_VERSION } from './result.js';
import type { ReportableResult } from './sections.js';

export { buildRunReport, type ReportModel } from './model.js';
export { renderHtml, loadChartJsSource, GENERATED_LINE_PREFIX } from './html.js';
export { renderMarkdown } from './markdown.js';
export {
  renderPngs,
  loadChartRenderer,
  CANVAS_BUILD_PACKAGES,
  PNG_WIDTH,
  PNG_HEIGHT,
} from './png.js';

/** Reads a result.json and builds its report model; refuses other files and schema versions. */
export async function readReportInput(file: string): Promise<ReportModel> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const notFound = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ApfbenchError(
      notFound ? 'APFBENCH_REPORT_INPUT_NOT_FOUND' : 'APFBENCH_REPORT_INPUT_INVALID',
      notFound ? `${file}: no such file` : `${file}: not a JSON file (${(err as Error).message})`,
      { kind: 'invalid-input', cause: err, hint: 'pass the result.json written by apfbench run' },
    );
  }
  return buildRunReport(asRunResult(file, parsed));
}

function asRunResult(file: string, v: unknown): ReportableResult {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o.kind === 'Comparison' || Array.isArray(o.results)) {
    throw new ApfbenchError(
      'APFBENCH_REPORT_COMPARISON_UNSUPPORTED',
      `${file}: reports of comparisons are not supported yet`,
      {
        kind: 'invalid-input',
        hint: 'render each result.json of the comparison on its own',
      },
    );
  }
  if (o.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new ApfbenchError(
      'APFBENCH_RESULT_SCHEMA_VERSION',
      `${file}: result schemaVersion ${JSON.stringify(o.schemaVersion)} is not supported (this apfbench reads ${RESULT_SCHEMA_VERSION})`,
      { kind: 'invalid-input', hint: 'render it with the apfbench version that wrote it' },
    );
  }
  const missing = [
    'scenario',
    'target',
    'actors',
    'timeline',
    'generator',
    'startedAt',
    'endedAt',
  ].filter((k) => o[k] === undefined);
  if (missing.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_REPORT_INPUT_INVALID',
      `${file}: not an apfbench result (missing ${missing.join(', ')})`,
      {
        kind: 'invalid-input',
        hint: 'pass the result.json written by apfbench run',
      },
    );
  }
  return o as unknown as ReportableResult;
}

export interface WriteReportOptions {
  /** Also write one PNG per chart (needs the optional canvas dependency). */
  readonly png: boolean;
  /** The generation time shown in report.html. */
  readonly now?: Date;
  readonly importModule?: ModuleImporter;
  /** Called with each path as soon as it is written. */
  readonly onFile?: (path: string) => void;
}

/**
 * Writes report.html and summary.md into `outDir`, then the PNGs if asked. The HTML and
 * Markdown are written before PNG rendering starts, so they exist even when that throws
 * `APFBENCH_PNG_UNAVAILABLE`. Returns the paths written, in that order.
 */
export async function writeReport(
  model: ReportModel,
  outDir: string,
  opts: WriteReportOptions,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const html = renderHtml(model, {
    generatedAt: opts.now ?? new Date(),
    chartJs: await loadChartJsSource(),
  });
  const written: string[] = [];
  const write = async (name: string, data: string | Buffer) => {
    const path = join(outDir, name);
    await writeFile(path, data);
    written.push(path);
    opts.onFile?.(path);
  };
  await write('report.html', html);
  await write('summary.md', renderMarkdown(model));
  if (opts.png) {
    for (const { file, png } of await renderPngs(model.charts, opts.importModule))
      await write(file, png);
  }
  return written;
}
