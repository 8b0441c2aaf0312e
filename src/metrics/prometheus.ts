/**
 * A parser for the Prometheus text exposition format (version 0.0.4), which is what
 * kube-apiserver serves on `/metrics`.
 *
 * Implementation choice: a small hand-written parser rather than an npm package. The format is
 * line-based and stable, we need every sample as it was exposed (histograms as their `_bucket`,
 * `_sum` and `_count` samples with `le`, not folded into objects), numeric values including
 * `NaN` and `±Inf`, and a way to skip families cheaply when only a few are wanted.
 */
import { ApfbenchError } from '../errors.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export type Labels = Readonly<Record<string, string>>;

/** One exposed line: `name{labels} value [timestamp]` (the timestamp is dropped). */
export interface Sample {
  /** The sample's own name, e.g. `x_bucket` within histogram family `x`. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

export interface ParseOptions {
  /** Keep only these families (by family name); the others are skipped without parsing. */
  readonly families?: ReadonlySet<string>;
}

const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

const METRIC_TYPES: ReadonlySet<string> = new Set(Object.keys(SUFFIXES));

interface MutableFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/**
 * Parses a whole exposition into families by name, in the order first seen. A sample belongs to
 * the family declared by the `# HELP` / `# TYPE` lines above it when its name is that family's
 * name plus a suffix its type allows; otherwise it forms (or joins) an `untyped` family of its
 * own name. Other comments and blank lines are ignored.
 *
 * @throws ApfbenchError `APFBENCH_METRICS_PARSE` naming the line for a malformed sample or
 *   `# TYPE` line.
 */
export function parsePrometheusText(
  text: string,
  opts: ParseOptions = {},
): ReadonlyMap<string, MetricFamily> {
  const families = new Map<string, MutableFamily>();
  const wanted = (name: string) => opts.families === undefined || opts.families.has(name);
  let current: MutableFamily | undefined;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const meta = parseMetaLine(line, lineNo);
      if (meta === undefined) continue;
      current = familyOf(families, meta.name);
      if (meta.kind === 'TYPE') current.type = meta.type;
      else current.help = meta.help;
      continue;
    }
    if (current !== undefined && !wanted(current.name) && belongsTo(nameOf(line), current)) {
      continue;
    }
    const sample = parseSampleLine(line, lineNo);
    const family =
      current !== undefined && belongsTo(sample.name, current)
        ? current
        : familyOf(families, sample.name);
    if (wanted(family.name)) family.samples.push(sample);
  }
  for (const name of families.keys()) {
    if (!wanted(name)) families.delete(name);
  }
  return families;
}

function familyOf(families: Map<string, MutableFamily>, name: string): MutableFamily {
  let family = families.get(name);
  if (family === undefined) {
    family = { name, type: 'untyped', help: '', samples: [] };
    families.set(name, family);
  }
  return family;
}

/** The metric name of a sample line, without parsing the rest. */
function nameOf(line: string): string {
  const end = line.search(/[{\s]/);
  return end < 0 ? line : line.slice(0, end);
}

function belongsTo(sampleName: string, family: MutableFamily): boolean {
  return SUFFIXES[family.type].some((suffix) => sampleName === family.name + suffix);
}

type MetaLine =
  { kind: 'TYPE'; name: string; type: MetricType } | { kind: 'HELP'; name: string; help: string };

function parseMetaLine(line: string, lineNo: number): MetaLine | undefined {
  const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
  if (match === null) return undefined;
  const [, kind, name = '', rest = ''] = match;
  if (kind === 'HELP') return { kind, name, help: unescape(rest, false) };
  if (!METRIC_TYPES.has(rest)) throw parseError(lineNo, `unknown metric type "${rest}"`);
  return { kind: 'TYPE', name, type: rest as MetricType };
}

/** Undoes `\\`, `\n` and (in label values only) `\"`; other backslashes stay as they are. */
function unescape(s: string, quotes: boolean): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(.)/g, (whole, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quotes) return '"';
    return whole;
  });
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseSampleLine(line: string, lineNo: number): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw parseError(lineNo, 'expected a metric name');
  let pos = name.length;
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  if (line[pos] === '{') pos = parseLabels(line, pos + 1, labels, lineNo);
  const fields = line.slice(pos).trim().split(/\s+/);
  if (fields.length > 2 || fields[0] === '') {
    throw parseError(lineNo, 'expected a value and an optional timestamp after the labels');
  }
  return { name, labels, value: parseValue(fields[0] ?? '', lineNo) };
}

/** Reads `a="x",b="y"}` from `pos`; returns the position after the closing brace. */
function parseLabels(
  line: string,
  start: number,
  into: Record<string, string>,
  lineNo: number,
): number {
  let pos = start;
  for (;;) {
    while (line[pos] === ' ') pos++;
    if (line[pos] === '}') return pos + 1;
    const labelName = LABEL_NAME.exec(line.slice(pos))?.[0];
    if (labelName === undefined) {
      throw parseError(lineNo, `expected a label name at column ${pos + 1}`);
    }
    pos += labelName.length;
    if (line[pos] !== '=' || line[pos + 1] !== '"') {
      throw parseError(lineNo, `expected ="…" after label ${labelName}`);
    }
    const end = closingQuote(line, pos + 2);
    if (end < 0) throw parseError(lineNo, `unterminated value of label ${labelName}`);
    into[labelName] = unescape(line.slice(pos + 2, end), true);
    pos = end + 1;
    while (line[pos] === ' ') pos++;
    if (line[pos] === ',') pos++;
    else if (line[pos] !== '}') {
      throw parseError(lineNo, `expected , or } after label ${labelName}`);
    }
  }
}

function closingQuote(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

function parseValue(s: string, lineNo: number): number {
  switch (s) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const value = Number(s);
  if (Number.isNaN(value)) throw parseError(lineNo, `"${s}" is not a number`);
  return value;
}

function parseError(lineNo: number, message: string): ApfbenchError {
  return new ApfbenchError('APFBENCH_METRICS_PARSE', `/metrics line ${lineNo}: ${message}`);
}
