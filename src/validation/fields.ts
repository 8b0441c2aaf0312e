// Field types for zod schemas of input files: integers, units (durations, rates), names, and
// rules across fields that still run when a field has failed, so that every problem is reported.
import { z } from 'zod';
import {
  DURATION_EXAMPLES,
  DURATION_PATTERN,
  RATE_EXAMPLES,
  RATE_PATTERN,
  formatDuration,
  parseDuration,
  parseRate,
  type UnitResult,
} from './units.js';
import type { Path } from './yaml-path.js';

/**
 * An integer. Unlike z.int(), whose issue aborts the rest of the parse, this one lets the
 * cross-field rules run (see withRule), so that every problem is still reported.
 */
export const integer = z.number().multipleOf(1, 'must be an integer').meta({ type: 'integer' });

/** A message for a wrong value that still lets a missing one read "is required". */
export const expecting = (message: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? undefined : message),
});

export function withUnit<T>(input: z.ZodType<T>, parse: (value: T) => UnitResult) {
  return input.transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.message, input: value });
    return z.NEVER;
  });
}

/**
 * The longest duration any field takes: 7 days. Every duration ends up in a timer, and Node's
 * setTimeout fires at once for anything above 2^31-1 ms (24.8 days); a week is also longer than
 * any run whose per-second timeline a result.json can sensibly hold.
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

export const duration = withUnit(
  z.string(expecting(`must be a duration ${DURATION_EXAMPLES}`)),
  parseDuration,
)
  .pipe(
    z.number().max(MAX_DURATION_MS, `must be at most ${formatDuration(MAX_DURATION_MS)} (7 days)`),
  )
  .meta({
    description: 'Duration: 500ms, 30s, 2m, 1h or a sum such as 1m30s; at most 168h.',
    pattern: DURATION_PATTERN.source,
  });

export const rate = withUnit(
  z.union(
    [z.number(), z.string().meta({ pattern: RATE_PATTERN.source })],
    expecting(`must be a rate ${RATE_EXAMPLES}`),
  ),
  parseRate,
).meta({ description: 'Rate: 200/s, 12/m, 3/h, or a number meaning per second.' });

export const positiveRate = rate.pipe(z.number().gt(0));
export const nonNegativeRate = rate.pipe(z.number().min(0));

export const dnsLabel = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

/**
 * Adds a rule across the fields of an object schema. Zod skips refinements once a field has
 * failed; these run anyway, so that every problem of a file is reported at once. The rule may
 * only read values for which `valid(...path)` holds — nothing at, above or below that path
 * (relative to the object) failed — and those values are already converted.
 */
export function withRule<S extends z.ZodType<object>>(
  schema: S,
  rule: (
    value: z.output<S>,
    valid: (...path: Path) => boolean,
    report: (path: Path, message: string) => void,
  ) => void,
): S {
  return schema.superRefine(
    (value, ctx) => {
      const related = (a: Path, b: Path) =>
        a.length > 0 && a.every((key, i) => i >= b.length || key === b[i]);
      rule(
        value,
        (...path) => !ctx.issues.some((issue) => related(issue.path ?? [], path)),
        (path, message) =>
          ctx.addIssue({ code: 'custom', path: [...path], message, input: undefined }),
      );
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
}
