// Problems with input files (scenario, profile, budget, kubeconfig, ...): what is wrong, where.
import { open } from 'node:fs/promises';
import type { z } from 'zod';
import type { InvalidInputCode } from '../error-codes.js';
import { ApfbenchError } from '../errors.js';

/**
 * One thing wrong with an input file. `line` and `column` are 1-based and point at the
 * offending value (at the key, for unknown fields); they are 0 when there is no position: a
 * command-line override (whose flag, such as `--set`, is then the `file`) or a file that cannot
 * be read.
 * `path` is the field path as in `spec.actors[2].rate`, empty for problems with the file
 * itself. `got` is the offending value as written, when it is a single scalar.
 */
export interface Problem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
  got?: string;
}

/** `scenarios/x.yaml:14:7 spec.actors[2].rate: must be > 0 (got -5)` */
export function formatProblem(problem: Problem): string {
  const where =
    problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const subject = problem.path === '' ? `${where}:` : `${where} ${problem.path}:`;
  const got = problem.got === undefined ? '' : ` (got ${problem.got})`;
  return `${subject} ${problem.message}${got}`;
}

/** The `got` of a problem: a value as written, when it is one that fits on the line. */
export function gotOf(written: string): Pick<Problem, 'got'> {
  return written === '' || written.includes('\n') ? {} : { got: written };
}

/** Command-line overrides first, in the order given, then file problems by position. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems.toSorted((a, b) => a.line - b.line || a.column - b.column);
}

/** The hint under a list of located problems; `more` adds where else to look. */
export function locatedProblemsHint(more: string): string {
  return `Each line names the file, line and column, the field and what is wrong with it. ${more}`;
}

/**
 * An input file (scenario, profile, budget) with problems: the message lists every one with its
 * location. The command layer reports it with exit code 2.
 */
export class InvalidFileError extends ApfbenchError<InvalidInputCode> {
  readonly problems: readonly Problem[];

  constructor(code: InvalidInputCode, what: string, problems: readonly Problem[], hint: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(code, `invalid ${what} (${count}):\n${problems.map(formatProblem).join('\n')}`, {
      kind: 'invalid-input',
      hint,
    });
    this.problems = problems;
  }
}

/**
 * The largest input file apfbench reads: 10 MiB. A real scenario, profile, budget or kubeconfig
 * is a few KiB; parsing 50 MB of YAML took 18 s and 1.75 GB.
 */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/**
 * Reads an input file as text; a file that cannot be read, or is over MAX_INPUT_BYTES, is a
 * problem like any other. `reason` is the error code (`ENOENT`, ..., `EFBIG`), for callers to
 * whom a missing file is no problem. A regular file's size is checked before it is read; other
 * files (a pipe, /dev/zero) are read only up to one byte past the limit.
 */
export async function readInputFile(
  path: string,
): Promise<{ ok: true; text: string } | { ok: false; reason: string; problems: Problem[] }> {
  const failed = (reason: string, message: string) => ({
    ok: false as const,
    reason,
    problems: [{ file: path, line: 0, column: 0, path: '', message }],
  });
  const tooBig = () =>
    failed('EFBIG', `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the most apfbench reads`);
  try {
    const handle = await open(path, 'r');
    try {
      const stats = await handle.stat();
      if (stats.isFile() && stats.size > MAX_INPUT_BYTES) return tooBig();
      const { buffer, length } = await readAtMost(handle, MAX_INPUT_BYTES + 1);
      if (length > MAX_INPUT_BYTES) return tooBig();
      return { ok: true, text: buffer.toString('utf8', 0, length) };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return failed(reason, `cannot read the file (${reason})`);
  }
}

/** Up to `max` bytes from the start of `handle`, growing the buffer as the file turns out larger. */
async function readAtMost(
  handle: Awaited<ReturnType<typeof open>>,
  max: number,
): Promise<{ buffer: Buffer; length: number }> {
  let buffer = Buffer.alloc(Math.min(max, 64 * 1024));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length === max) break;
      const larger = Buffer.alloc(Math.min(max, buffer.length * 2));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return { buffer, length };
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

const count = (n: number | bigint, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Zod error map giving messages in the style of `must be > 0`. Messages set on a schema take
 * precedence; anything not covered here keeps zod's own message.
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined && issue.code !== 'custom') return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${issue.values.join(', ')}`;
    case 'invalid_union':
      return Array.isArray(issue.options)
        ? `must be one of ${issue.options.join(', ')}`
        : undefined;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const limit = small ? issue.minimum : issue.maximum;
      const bound = small ? 'at least' : 'at most';
      if (issue.origin === 'array') return `must have ${bound} ${count(limit, 'entry', 'entries')}`;
      if (issue.origin === 'string') {
        if (small && limit === 1) return 'must not be empty';
        return `must be ${bound} ${count(limit, 'character', 'characters')} long`;
      }
      return `must be ${small ? '>' : '<'}${issue.inclusive ? '=' : ''} ${limit}`;
    }
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return undefined;
  }
};
