/**
 * Reading result.json and comparison.json back: one parse each, shared by `report`, `check` and
 * `compare`, that returns the typed value or throws with every problem located
 * (`file:line:col actors.kubelets.requests.total: must be a number (got "x")`).
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { InvalidInputCode } from '../error-codes.js';
import { ApfbenchError } from '../errors.js';
import { InvalidFileError, issueMessage, sortProblems } from '../validation/problems.js';
import { validateJson } from '../validation/validate.js';
import { formatPath } from '../validation/yaml-path.js';
import {
  COMPARISON_SCHEMA_VERSION,
  comparisonSchema,
  type Comparison,
} from './comparison-schema.js';
import { RESULT_SCHEMA_VERSION, runResultSchema, type RunResult } from './run-result-schema.js';
import { SWEEP_SCHEMA_VERSION, sweepSchema, type Sweep } from './sweep-schema.js';

/** A result.json or comparison.json of the wrong shape (unless the caller names its own code). */
export const INVALID_RESULT = 'APFBENCH_INVALID_RESULT';

/**
 * The codes a file is refused with: of the wrong shape, or of another schemaVersion. Each
 * command keeps the codes it has always used, since scripts match on them.
 */
export interface RefusalCodes {
  readonly shape: InvalidInputCode;
  readonly version: InvalidInputCode;
}

const SHAPE_HINT =
  'Give a result.json written by `apfbench run` or a comparison.json written by `apfbench compare`.';
const VERSION_HINT = 'Read it with the apfbench version that wrote it, or re-run it with this one.';

/** A JSON document as read: its parsed value and, to locate problems by line, its text. */
export interface JsonDocument {
  /** The file, or where in a file the document is (`f.json[2]`). */
  readonly source: string;
  readonly value: unknown;
  /** Absent for a document embedded in another: its problems are then named by field only. */
  readonly text?: string;
}

const versionOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null
    ? (value as { schemaVersion?: unknown }).schemaVersion
    : undefined;

function parseVersioned<S extends z.ZodType>(
  schema: S,
  doc: JsonDocument,
  what: 'result' | 'comparison' | 'sweep',
  version: number,
  codes: RefusalCodes,
): z.output<S> {
  const found = versionOf(doc.value);
  if (found !== version) {
    throw new ApfbenchError(
      codes.version,
      `${doc.source}: ${what} schemaVersion ${JSON.stringify(found) ?? 'undefined'} is not one this apfbench reads (${version})`,
      { kind: 'invalid-input', hint: VERSION_HINT },
    );
  }
  if (doc.text !== undefined) {
    const validated = validateJson(schema, doc.value, doc.text, doc.source);
    if (validated.ok) return validated.value;
    throw new InvalidFileError(codes.shape, what, validated.problems, SHAPE_HINT);
  }
  const parsed = schema.safeParse(doc.value, { error: issueMessage });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    file: doc.source,
    line: 0,
    column: 0,
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new InvalidFileError(codes.shape, what, sortProblems(problems), SHAPE_HINT);
}

/** A result.json's document as a typed result; refuses other schema versions and wrong shapes. */
export function parseRunResult(
  doc: JsonDocument,
  codes: RefusalCodes = { shape: INVALID_RESULT, version: 'APFBENCH_RESULT_SCHEMA_VERSION' },
): RunResult {
  return parseVersioned(runResultSchema, doc, 'result', RESULT_SCHEMA_VERSION, codes);
}

/** A comparison.json's document as a typed comparison; refuses other versions and wrong shapes. */
export function parseComparison(
  doc: JsonDocument,
  codes: RefusalCodes = { shape: INVALID_RESULT, version: 'APFBENCH_COMPARISON_SCHEMA_VERSION' },
): Comparison {
  return parseVersioned(comparisonSchema, doc, 'comparison', COMPARISON_SCHEMA_VERSION, codes);
}

/** A sweep.json's document as a typed sweep; refuses other versions and wrong shapes. */
export function parseSweep(doc: JsonDocument, codes: RefusalCodes): Sweep {
  return parseVersioned(sweepSchema, doc, 'sweep', SWEEP_SCHEMA_VERSION, codes);
}

/**
 * Reads a JSON file; one that cannot be read or is not JSON is refused with `code` (the caller's:
 * a report input and a check input name their problems differently) and `hint`.
 */
export async function readJsonDocument(
  file: string,
  refuse: { readonly code: InvalidInputCode; readonly hint: string },
): Promise<JsonDocument & { readonly text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ApfbenchError(refuse.code, `${file}: cannot read the file (${reason})`, {
      kind: 'invalid-input',
      cause: err,
      hint: refuse.hint,
    });
  }
  try {
    return { source: file, text, value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new ApfbenchError(refuse.code, `${file}: not JSON (${(err as Error).message})`, {
      kind: 'invalid-input',
      cause: err,
      hint: SHAPE_HINT,
    });
  }
}

/** Reads and parses a result.json. */
export async function readRunResult(file: string): Promise<RunResult> {
  return parseRunResult(await readJsonDocument(file, { code: INVALID_RESULT, hint: SHAPE_HINT }));
}
