/**
 * Reports from a result.json or a comparison.json: a model (model.ts, comparison.ts) rendered as
 * report.html, one PNG per chart and summary.md. Callers (`report`, `run`, `compare`) build the
 * model (`readReportInput`, or `buildRunReport` from a result in memory), then `writeReport`.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApfbenchError } from '../errors.js';
import { loadChartJsSource, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildRunReport, type ReportModel } from './model.js';
import { renderPngs, type ModuleImporter } from './png.js';
import { buildComparisonReport } from './comparison.js';
import { buildSweepReport } from './sweep.js';
import {
  parseComparison,
  parseRunResult,
  parseSweep,
  type JsonDocument,
  type RefusalCodes,
  type RunResult,
} from '../result/result.js';
import { SWEEP_FILE } from '../result/write.js';

export { buildRunReport, type ReportModel } from './model.js';
export { buildComparisonReport, type ComparisonInput } from './comparison.js';
export { buildSweepReport, kneeSentences, type SweepInput } from './sweep.js';
export { renderHtml, loadChartJsSource, GENERATED_LINE_PREFIX } from './html.js';
export { renderMarkdown } from './markdown.js';
export { renderPngs, loadChartRenderer, PNG_WIDTH, PNG_HEIGHT } from './png.js';

const INPUT_HINT =
  'pass the result.json written by apfbench run, the comparison.json of compare or the sweep.json of sweep';

async function readJson(file: string, hint = INPUT_HINT): Promise<JsonDocument> {
  try {
    const text = await readFile(file, 'utf8');
    return { source: file, text, value: JSON.parse(text) as unknown };
  } catch (err) {
    const notFound = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ApfbenchError(
      notFound ? 'APFBENCH_REPORT_INPUT_NOT_FOUND' : 'APFBENCH_REPORT_INPUT_INVALID',
      notFound ? `${file}: no such file` : `${file}: not a JSON file (${(err as Error).message})`,
      { kind: 'invalid-input', cause: err, hint },
    );
  }
}

/**
 * Reads a result.json, or a comparison.json or sweep.json and the result.json of each of its
 * runs (paths relative to it), and builds the report model; refuses other files and schema
 * versions. A directory stands for the sweep.json in it.
 */
export async function readReportInput(file: string): Promise<ReportModel> {
  if ((await stat(file).catch(() => undefined))?.isDirectory() === true) {
    return readReportInput(join(file, SWEEP_FILE));
  }
  const input = await readJson(file);
  if (isSweep(input.value)) return readSweep(file, input);
  if (!isComparison(input.value)) return buildRunReport(parseRunResult(input, RESULT_CODES));
  const comparison = parseComparison(input, {
    shape: 'APFBENCH_REPORT_INPUT_INVALID',
    version: 'APFBENCH_COMPARISON_SCHEMA_VERSION',
  });
  if (comparison.runs.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_REPORT_INPUT_INVALID',
      `${file}: the comparison has no runs`,
      {
        kind: 'invalid-input',
        hint: 'it was interrupted before its first run finished; run compare again',
      },
    );
  }
  const results: RunResult[] = await Promise.all(
    comparison.runs.map(async (run) =>
      parseRunResult(
        await readJson(
          resolve(dirname(file), run.result),
          `keep the runs/ directory next to ${file}, as compare wrote it`,
        ),
        RESULT_CODES,
      ),
    ),
  );
  return buildComparisonReport(comparison, results);
}

/**
 * A sweep and the result of each of its runs; a run whose result.json is missing (cut off by a
 * second Ctrl-C) is left out of the curves rather than refusing the whole report.
 */
async function readSweep(file: string, input: JsonDocument): Promise<ReportModel> {
  const sweep = parseSweep(input, {
    shape: 'APFBENCH_REPORT_INPUT_INVALID',
    version: 'APFBENCH_SWEEP_SCHEMA_VERSION',
  });
  if (sweep.verdicts.length === 0) {
    throw new ApfbenchError(
      'APFBENCH_REPORT_INPUT_INVALID',
      `${file}: the sweep has no finished level`,
      {
        kind: 'invalid-input',
        hint: 'it was interrupted before its first level finished; run sweep again',
      },
    );
  }
  const results = await Promise.all(
    sweep.runs.map(async (run) => {
      const path = resolve(dirname(file), run.result);
      if ((await stat(path).catch(() => undefined)) === undefined) return undefined;
      return parseRunResult(
        await readJson(path, `keep the runs/ directory next to ${file}, as sweep wrote it`),
        RESULT_CODES,
      );
    }),
  );
  return buildSweepReport(sweep, results);
}

/** sweep.json has levels and knees; neither a result nor a comparison has them. */
const isSweep = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { levels?: unknown }).levels) &&
  Array.isArray((v as { knees?: unknown }).knees);

const RESULT_CODES: RefusalCodes = {
  shape: 'APFBENCH_REPORT_INPUT_INVALID',
  version: 'APFBENCH_RESULT_SCHEMA_VERSION',
};

/** comparison.json has runs and a summary; a result.json has neither. */
const isComparison = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { runs?: unknown }).runs) &&
  typeof (v as { summary?: unknown }).summary === 'object' &&
  (v as { summary?: unknown }).summary !== null;

export interface WriteReportOptions {
  /** Also write one PNG per chart. */
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
