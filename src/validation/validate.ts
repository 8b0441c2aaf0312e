// YAML text → validated model, with every problem located in the source or in an override.
import { isScalar, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { gotOf, issueMessage, sortProblems, type Problem } from './problems.js';
import { parseYaml, plainValue } from './yaml-load.js';
import { findNode, formatPath, type Path } from './yaml-path.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** A change made to the document before validation, such as a command-line `--set`. */
export interface AppliedEdit {
  /** Problems at or under `path` are reported against `flag` (as their file, with no line). */
  flag: string;
  path: Path;
  /** The value as given, for a problem's `got`. */
  text: string;
}

/**
 * Changes the parsed document before it is validated: returns the edits it applied and the
 * problems of those it could not apply.
 */
export type DocumentEdit = (doc: Document) => { applied: AppliedEdit[]; problems: Problem[] };

const NO_EDIT: DocumentEdit = () => ({ applied: [], problems: [] });

/**
 * Parses `text` (named `file` in problems), applies `edit` (command-line overrides) and
 * validates the result against `schema`. YAML syntax errors, and inputs over the limits of
 * `parseYaml`, are reported alone, since validating a broken document would only add noise.
 */
export function validateYaml<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  edit: DocumentEdit = NO_EDIT,
): Validated<z.output<S>> {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { ok: false, problems: sortProblems(parsed.problems) };
  const { doc } = parsed;
  const inFile = locator(parsed, text, file);

  const { applied, problems } = edit(doc);
  const result = schema.safeParse(plainValue(doc), { error: issueMessage });
  if (result.success && problems.length === 0) return { ok: true, value: result.data };

  // Where the problem at `path` comes from: the last edit at or above it, or else the
  // deepest node of the document on the way (its key, for an unknown field).
  const locate = (path: Path, message: string, atKey: boolean): Problem => {
    const problem = { path: formatPath(path), message };
    const override = applied.findLast((o) => o.path.every((key, i) => key === path[i]));
    if (override) {
      const exact = !atKey && override.path.length === path.length;
      return {
        file: override.flag,
        line: 0,
        column: 0,
        ...problem,
        ...gotOf(exact ? override.text : ''),
      };
    }
    return inFile(path, message, atKey);
  };

  for (const issue of result.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      problems.push(...issue.keys.map((key) => locate([...issue.path, key], issue.message, true)));
    } else {
      problems.push(locate(issue.path, issue.message, false));
    }
  }
  return { ok: false, problems: sortProblems(problems) };
}

/**
 * Where the problem at `path` of a parsed document is: the deepest node of the document on the
 * way (its key, for an unknown field, `atKey`), with the value as written when it is a scalar.
 */
function locator(parsed: { doc: Document; lines: LineCounter }, text: string, file: string) {
  return (path: Path, message: string, atKey = false): Problem => {
    const { found, node, key } = findNode(parsed.doc.contents, path);
    const exact = found === path.length;
    const anchor = (atKey && exact) || !node ? key : node;
    const { line, col } = parsed.lines.linePos(anchor?.range?.[0] ?? 0);
    const written =
      exact && !atKey && isScalar(node) && node.range
        ? text.slice(node.range[0], node.range[1])
        : '';
    return { file, line, column: col, path: formatPath(path), message, ...gotOf(written) };
  };
}

/**
 * A problem found by a rule across files (a kubeconfig context in one file naming a cluster in
 * another), located in `text` as `validateYaml` locates its own: `text` must parse.
 */
export function locateProblem(text: string, file: string, path: Path, message: string): Problem {
  const parsed = parseYaml(text, file);
  if (!parsed.ok) return { file, line: 0, column: 0, path: formatPath(path), message };
  return locator(parsed, text, file)(path, message);
}

/**
 * `validateYaml` for a JSON document already parsed into `value`: only when it is invalid is
 * `text` parsed again (JSON is YAML), to locate each problem with its line and column.
 */
export function validateJson<S extends z.ZodType>(
  schema: S,
  value: unknown,
  text: string,
  file: string,
): Validated<z.output<S>> {
  const result = schema.safeParse(value, { error: issueMessage });
  return result.success ? { ok: true, value: result.data } : validateYaml(schema, text, file);
}

/**
 * Where the field at `path` is written in YAML `text` (named `file`): its value's line and
 * column, or the deepest node on the way; line 0 when the text does not parse. For a problem
 * found after validation, such as a field the command line rules out.
 */
export function locatePath(
  text: string,
  file: string,
  path: Path,
): Pick<Problem, 'file' | 'line' | 'column' | 'path'> {
  const parsed = parseYaml(text, file);
  const located = { file, line: 0, column: 0, path: formatPath(path) };
  if (!parsed.ok) return located;
  const { node, key } = findNode(parsed.doc.contents, path);
  const offset = (key ?? node)?.range?.[0];
  if (offset === undefined) return located;
  const { line, col } = parsed.lines.linePos(offset);
  return { ...located, line, column: col };
}
