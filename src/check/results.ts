// Reading the runs a check compares: result.json files, and comparison.json files (from
// `apfbench compare`) that hold several runs, possibly under several profiles and with repeats.
import { dirname, join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import {
  INVALID_RESULT,
  parseRunResult,
  readJsonDocument,
  type JsonDocument,
  type RunResult,
} from '../result/result.js';

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

/**
 * A run found in a file, with the profile it ran under and, when it is a file of its own, that
 * file's document (to locate its problems in).
 */
interface FoundRun {
  readonly result: Record<string, unknown>;
  readonly profile?: string;
  readonly document?: JsonDocument;
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

const invalid = (message: string, hint?: string) =>
  new ApfbenchError(INVALID_RESULT, message, { kind: 'invalid-input', hint });

const readJsonFile = (file: string, missingHint = 'Give a result.json or a comparison.json.') =>
  readJsonDocument(file, { code: INVALID_RESULT, hint: missingHint });

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
    const document = await readJsonFile(
      source,
      `keep the runs/ directory next to ${file}, as compare wrote it`,
    );
    const result = document.value;
    if (!looksLikeResult(result)) {
      throw invalid(`${source} (a run of ${file}): not an apfbench result`);
    }
    const profile = profileName(entry.profile) ?? profileName(result.profile);
    runs.push(profile === undefined ? { result, document } : { result, profile, document });
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
  const document = await readJsonFile(file);
  let runs = await runsOfFile(file, document.value);
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
    // A result that is the whole file is located by line; one embedded in a document by field.
    const own = run.document ?? (run.result === document.value ? document : undefined);
    const source = run.document?.source ?? (runs.length > 1 ? `${file}[${i}]` : file);
    return {
      source,
      profile: run.profile,
      // A schemaVersion it does not read is an invalid result to check, as it has always been.
      result: parseRunResult(own ?? { source, value: run.result }, {
        shape: INVALID_RESULT,
        version: INVALID_RESULT,
      }),
    };
  });
}
