// Reading the runs a check compares: result.json files, and comparison.json files (from
// `apfbench compare`) that hold several runs, possibly under several profiles and with repeats.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import { RESULT_SCHEMA_VERSION, reportableResultSchema, type RunResult } from '../result/result.js';
import { issueMessage } from '../validation/problems.js';
import { formatPath } from '../validation/yaml-path.js';

export interface LoadedRun {
  /** Where it came from: the file, and the run's index and profile when it was one of several. */
  readonly source: string;
  readonly profile: string | undefined;
  readonly result: RunResult;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const looksLikeResult = (v: unknown): v is Record<string, unknown> =>
  isRecord(v) && 'schemaVersion' in v && isRecord(v.actors) && 'scenario' in v;

function profileName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!isRecord(v)) return undefined;
  if (typeof v.name === 'string') return v.name;
  if (isRecord(v.metadata) && typeof v.metadata.name === 'string') return v.metadata.name;
  return undefined;
}

/** A run found in a file, with the profile it ran under and the file it is in, when known. */
interface FoundRun {
  readonly result: Record<string, unknown>;
  readonly profile?: string;
  readonly source?: string;
}

/**
 * Every run in a parsed JSON document: the document itself when it is a result, else results
 * found in it (a comparison's runs), each with the profile it ran under when the result or the
 * entry wrapping it says so.
 */
export function runsIn(doc: unknown): FoundRun[] {
  if (looksLikeResult(doc)) {
    const profile = profileName(doc.profile);
    return [profile === undefined ? { result: doc } : { result: doc, profile }];
  }
  const found: FoundRun[] = [];
  const walk = (node: unknown, depth: number, inherited: string | undefined) => {
    if (depth > 5) return;
    if (looksLikeResult(node)) {
      const profile = profileName(node.profile) ?? inherited;
      found.push(profile === undefined ? { result: node } : { result: node, profile });
      return;
    }
    if (Array.isArray(node)) node.forEach((n) => walk(n, depth + 1, inherited));
    else if (isRecord(node)) {
      const here = profileName(node.profile) ?? inherited;
      for (const value of Object.values(node)) walk(value, depth + 1, here);
    }
  };
  walk(doc, 0, undefined);
  return found;
}

/** What a check reads of a result besides the metrics its budgets name (those say what is missing). */
const checkedFields = reportableResultSchema.pick({
  scenario: true,
  status: true,
  reason: true,
  generator: true,
  endedAt: true,
});

const invalid = (message: string, hint?: string) =>
  new ApfbenchError('APFBENCH_INVALID_RESULT', message, { kind: 'invalid-input', hint });

async function readJsonFile(file: string, missingHint?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(
      `${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      missingHint,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(
      `${file}: not JSON (${(error as Error).message})`,
      'Give a result.json or a comparison.json.',
    );
  }
}

/** The run entries of a comparison.json: each names its result.json relative to the comparison. */
function comparisonEntries(doc: unknown): { result: string; profile?: unknown }[] {
  if (!isRecord(doc) || !Array.isArray(doc.runs)) return [];
  return doc.runs.filter(
    (r): r is { result: string; profile?: unknown } => isRecord(r) && typeof r.result === 'string',
  );
}

/**
 * Every run in the file: a result.json's own, the results embedded in a document, or the
 * result.json files a comparison.json names (paths relative to its directory, as `compare`
 * writes them), each with its source file.
 */
async function runsOfFile(file: string, doc: unknown): Promise<FoundRun[]> {
  const entries = comparisonEntries(doc);
  if (entries.length === 0) return runsIn(doc);
  const runs: FoundRun[] = [];
  // One at a time, in the comparison's order: the first missing run is the one reported.
  for (const entry of entries) {
    const source = join(dirname(file), entry.result);
    const result = await readJsonFile(
      source,
      `keep the runs/ directory next to ${file}, as compare wrote it`,
    );
    if (!looksLikeResult(result)) {
      throw invalid(`${source} (a run of ${file}): not an apfbench result`);
    }
    const profile = profileName(entry.profile) ?? profileName(result.profile);
    runs.push(profile === undefined ? { result, source } : { result, profile, source });
  }
  return runs;
}

/**
 * Loads `FILE` or `FILE#PROFILE` (only the runs of that profile in a comparison). Refuses a
 * result whose schemaVersion this apfbench does not read.
 */
export async function loadRuns(spec: string): Promise<LoadedRun[]> {
  const hash = spec.lastIndexOf('#');
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const wanted = hash > 0 ? spec.slice(hash + 1) : undefined;
  let runs = await runsOfFile(file, await readJsonFile(file));
  if (runs.length === 0) {
    throw invalid(
      `${file}: holds no apfbench result (no object with schemaVersion, scenario and actors)`,
      'Give a result.json written by `apfbench run` or a comparison.json written by `apfbench compare`.',
    );
  }
  const profiles = [...new Set(runs.map((r) => r.profile ?? '(none)'))];
  if (wanted !== undefined) {
    runs = runs.filter((r) => r.profile === wanted);
    if (runs.length === 0) {
      throw invalid(`${file}: no run under profile "${wanted}" (profiles: ${profiles.join(', ')})`);
    }
  } else if (profiles.length > 1) {
    throw invalid(
      `${file}: holds runs under several profiles (${profiles.join(', ')}); say which one to check`,
      `Name it after the file, e.g. ${file}#${profiles[0] ?? 'PROFILE'}.`,
    );
  }
  return runs.map((run, i) => {
    const version = run.result.schemaVersion;
    const where = run.source ?? (runs.length > 1 ? `${file}[${i}]` : file);
    if (version !== RESULT_SCHEMA_VERSION) {
      throw invalid(
        `${where}: result schemaVersion ${JSON.stringify(version)} is not one this apfbench reads (${RESULT_SCHEMA_VERSION})`,
        'Check results with the apfbench version that wrote them, or re-run the baseline with this one.',
      );
    }
    const checked = checkedFields.safeParse(run.result, { error: issueMessage });
    if (!checked.success) {
      throw invalid(
        `${where}: not an apfbench result: ${checked.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`,
        'Give a result.json written by `apfbench run` or a comparison.json written by `apfbench compare`.',
      );
    }
    return {
      source: where,
      profile: run.profile,
      result: run.result as unknown as RunResult,
    };
  });
}
