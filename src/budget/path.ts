// Metric paths in budgets: how `tenant.latencyMs.p99` names a number in result.json.
//
//   path     := segment ("." segment)*          at least two segments
//   segment  := word | '["' text '"]'           a bracketed segment is taken literally
//   word     := [A-Za-z0-9_:-] and the globs * (any run of characters) and ? (one character)
//
// The first segment says where the path starts:
//   actors                             the result's `actors` map, written out in full
//   generator | server | fairness | cleanup   that top-level section of the result
//   anything else                      an actor group name, or a glob over group names (`*`)
// Under an actor group, a path whose next segment is a field of `requests` (`latencyMs`,
// `byCode`, `total`, ...) is shorthand for `<group>.requests.<field>...`; any other segment
// names a section of the group (`heartbeats`, `conflicts`, `watch`, ...).
// A key that is missing from a count map (a mapping named by<Something>, e.g. `byCode`) counts
// as 0; any other missing key is an error that names it and suggests close matches.

export type Segment = { readonly literal: string } | { readonly glob: string; readonly re: RegExp };

export interface MetricPath {
  /** As written. */
  readonly text: string;
  readonly segments: readonly Segment[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The top-level sections of a result that a path may start from, besides actor groups. */
export const ROOT_SECTIONS = ['actors', 'generator', 'server', 'fairness', 'cleanup'] as const;

/** Fields of `actors.<group>.requests` that may be named right after the group. */
export const REQUEST_FIELDS = [
  'total',
  'sent',
  'dropped',
  'errors',
  'retries',
  'throttled',
  'byCode',
  'byKey',
  'byPriorityLevel',
  'byFlowSchema',
  'latencyMs',
  'serviceTimeMs',
  'scheduleLagMs',
] as const;

const WORD_CHAR = /[A-Za-z0-9_:*?-]/;

function segmentOf(word: string): Segment {
  if (!/[*?]/.test(word)) return { literal: word };
  const source = word
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return { glob: word, re: new RegExp(`^${source}$`) };
}

export const isGlob = (s: Segment): s is Extract<Segment, { glob: string }> => 'glob' in s;
export const segmentText = (s: Segment): string => (isGlob(s) ? s.glob : s.literal);

/**
 * Parses a path from the start of `text`. Returns the path and where it ended, so that an
 * expression parser can continue after it.
 */
export function parsePathPrefix(text: string): Parsed<{ path: MetricPath; end: number }> {
  const segments: Segment[] = [];
  let i = 0;
  for (;;) {
    if (text.startsWith('["', i)) {
      let literal = '';
      let j = i + 2;
      for (; j < text.length && !text.startsWith('"]', j); j++) {
        const c = text[j] ?? '';
        if (c === '\\' && j + 1 < text.length) literal += text[++j] ?? '';
        else literal += c;
      }
      if (j >= text.length) return { ok: false, message: `unterminated ["...] at column ${i + 1}` };
      segments.push({ literal });
      i = j + 2;
    } else {
      let j = i;
      while (j < text.length && WORD_CHAR.test(text[j] ?? '')) j++;
      if (j === i) {
        const what = i >= text.length ? 'the end' : `"${text[i] ?? ''}"`;
        return {
          ok: false,
          message:
            segments.length === 0
              ? `expected a metric path such as tenant.latencyMs.p99, found ${what}`
              : `expected a field name after "${text.slice(0, i)}", found ${what}`,
        };
      }
      segments.push(segmentOf(text.slice(i, j)));
      i = j;
    }
    // A bracketed segment may follow a word directly: byKey["get configmaps 200"].
    if (text.startsWith('["', i)) continue;
    if (text[i] !== '.') break;
    i++;
  }
  if (segments.length < 2) {
    return {
      ok: false,
      message: `"${text.slice(0, i)}" names no field: write <group>.<field>, e.g. ${text.slice(0, i)}.latencyMs.p99`,
    };
  }
  return { ok: true, value: { path: { text: text.slice(0, i), segments }, end: i } };
}

/** Parses a whole string as a metric path. */
export function parsePath(text: string): Parsed<MetricPath> {
  const trimmed = text.trim();
  const parsed = parsePathPrefix(trimmed);
  if (!parsed.ok) return parsed;
  if (parsed.value.end !== trimmed.length) {
    return {
      ok: false,
      message: `unexpected "${trimmed.slice(parsed.value.end).trim()}" after the metric path "${parsed.value.path.text}"`,
    };
  }
  return { ok: true, value: parsed.value.path };
}

/** Formats concrete keys as a path that parsePath reads back (brackets where needed). */
export function formatKeys(keys: readonly string[]): string {
  return keys
    .map((key, i) => {
      // `*` and `?` only appear in keys as a glob that matched nothing in a count map.
      if (/^[A-Za-z0-9_:*?-]+$/.test(key)) return i === 0 ? key : `.${key}`;
      return `["${key.replace(/["\\]/g, '\\$&')}"]`;
    })
    .join('');
}

/** Where a path starts from: a root section, or actor groups (then `requests` is implied). */
export function isRootSection(first: Segment): boolean {
  return !isGlob(first) && (ROOT_SECTIONS as readonly string[]).includes(first.literal);
}

/** The path written out from the result's root, for groups matching its first segment. */
export function expandShorthand(path: MetricPath): Segment[] {
  const [first, second, ...rest] = path.segments;
  if (first === undefined || second === undefined) return [...path.segments];
  if (isRootSection(first)) return [...path.segments];
  const implied =
    !isGlob(second) && (REQUEST_FIELDS as readonly string[]).includes(second.literal)
      ? [{ literal: 'requests' }]
      : [];
  return [{ literal: 'actors' }, first, ...implied, second, ...rest];
}

/** One number (or true/false) a path names in a result; `keys` is its concrete location. */
export interface Match {
  readonly keys: readonly string[];
  readonly value: number | boolean | null;
  /** True when the key was missing from a count map and 0 stands in for it. */
  readonly defaulted: boolean;
}

export interface ResolveFailure {
  /** The keys that did resolve, from the root. */
  readonly at: readonly string[];
  /** The segment that did not. */
  readonly missing: string;
  /** Keys available where it was looked up; empty when the value there is not a mapping. */
  readonly available: readonly string[];
  /** Set when the path ends on a mapping or a string rather than a number. */
  readonly notANumber?: string;
}

export type Resolved = { ok: true; matches: Match[] } | { ok: false; failure: ResolveFailure };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A mapping of counts by some key, where an absent key means zero: byCode, byKey, ... */
export const isCountMap = (key: string | undefined): boolean =>
  key !== undefined && /^by[A-Z]/.test(key);

/**
 * Every value the path names in `result`. Branches a glob opens and that do not continue are
 * dropped; when nothing matches at all, the deepest failure is returned to explain why.
 */
export function resolvePath(result: unknown, path: MetricPath): Resolved {
  const segments = expandShorthand(path);
  const matches: Match[] = [];
  let deepest: ResolveFailure | undefined;
  const fail = (f: ResolveFailure) => {
    if (deepest === undefined || f.at.length > deepest.at.length) deepest = f;
  };

  const walk = (node: unknown, i: number, keys: string[]): void => {
    const segment = segments[i];
    if (segment === undefined) {
      if (typeof node === 'number' || typeof node === 'boolean' || node === null) {
        matches.push({ keys, value: node, defaulted: false });
      } else {
        const what = isRecord(node) ? 'a mapping' : Array.isArray(node) ? 'a list' : typeof node;
        fail({
          at: keys.slice(0, -1),
          missing: keys.at(-1) ?? '',
          available: isRecord(node) ? Object.keys(node) : [],
          notANumber: what,
        });
      }
      return;
    }
    const parentKey = keys.at(-1);
    const last = i === segments.length - 1;
    if (!isRecord(node)) {
      fail({ at: keys, missing: segmentText(segment), available: [] });
      return;
    }
    if (!isGlob(segment)) {
      if (segment.literal in node) walk(node[segment.literal], i + 1, [...keys, segment.literal]);
      else if (last && isCountMap(parentKey))
        matches.push({ keys: [...keys, segment.literal], value: 0, defaulted: true });
      else fail({ at: keys, missing: segment.literal, available: Object.keys(node) });
      return;
    }
    const hits = Object.keys(node).filter((k) => segment.re.test(k));
    if (hits.length === 0 && last && isCountMap(parentKey)) {
      matches.push({ keys: [...keys, segment.glob], value: 0, defaulted: true });
      return;
    }
    if (hits.length === 0) fail({ at: keys, missing: segment.glob, available: Object.keys(node) });
    for (const key of hits) walk(node[key], i + 1, [...keys, key]);
  };

  walk(result, 0, []);
  if (matches.length > 0) return { ok: true, matches };
  return {
    ok: false,
    failure: deepest ?? {
      at: [],
      missing: segmentText(segments[0] ?? { literal: '' }),
      available: [],
    },
  };
}

/** The shorthand a user would write for a concrete location (the inverse of expandShorthand). */
export function shorthandOf(keys: readonly string[]): string {
  if (keys[0] === 'actors' && keys.length >= 3) {
    const [, group = '', section = '', ...rest] = keys;
    const tail =
      section === 'requests' && (REQUEST_FIELDS as readonly string[]).includes(rest[0] ?? '')
        ? rest
        : [section, ...rest];
    return formatKeys([group, ...tail]);
  }
  return formatKeys(keys);
}

/** Every number or boolean in a result that a budget may name, in shorthand. */
export function metricPaths(result: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, keys: string[]) => {
    if (typeof node === 'number' || typeof node === 'boolean') out.push(shorthandOf(keys));
    else if (isRecord(node)) for (const [k, v] of Object.entries(node)) walk(v, [...keys, k]);
  };
  if (isRecord(result)) {
    for (const section of ROOT_SECTIONS) {
      if (section in result) walk(result[section], [section]);
    }
  }
  return out;
}

/** Damerau-free Levenshtein distance; paths are short. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Up to `max` paths of the result closest to what was written, closest first. */
export function suggestPaths(written: string, result: unknown, max = 3): string[] {
  const limit = Math.max(3, Math.floor(written.length * 0.3));
  const candidates = metricPaths(result).map((p) => ({ p, d: editDistance(written, p) }));
  // Case-only slips (`latencyms`) and the right field under the wrong group are both close.
  return candidates
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p))
    .slice(0, max)
    .map(({ p }) => p);
}

/** A sentence saying why a path names nothing in a result, with close matches. */
export function describeFailure(
  path: MetricPath,
  failure: ResolveFailure,
  result: unknown,
): string {
  const where = failure.at.length === 0 ? 'the result' : formatKeys(failure.at);
  const list = (keys: readonly string[]) =>
    keys.length > 12 ? `${keys.slice(0, 12).join(', ')}, ...` : keys.join(', ');
  let reason: string;
  if (failure.notANumber !== undefined) {
    reason = `${formatKeys([...failure.at, failure.missing])} is ${failure.notANumber}, not a number`;
    if (failure.available.length > 0)
      reason += ` (name one of its fields: ${list(failure.available)})`;
  } else if (failure.at.length === 1 && failure.at[0] === 'actors') {
    reason = `no actor group "${failure.missing}" in the result (groups: ${list(failure.available) || 'none'})`;
  } else if (failure.available.length > 0) {
    reason = `${where} has no field "${failure.missing}" (fields: ${list(failure.available)})`;
  } else {
    reason = `${where} has no field "${failure.missing}"`;
  }
  const suggestions = suggestPaths(path.text, result);
  const hint = suggestions.length > 0 ? `; did you mean ${suggestions.join(' or ')}?` : '';
  return `metric "${path.text}" does not exist: ${reason}${hint}`;
}
