// The plan of `apfbench sweep`, pure: the load levels its --vary flags make, in the order they
// run, the --set overrides of each, and the wall time the whole sweep is expected to take.
import { ApfbenchError } from '../errors.js';
import { formatPath, type Path } from '../validation/yaml-path.js';

/** One `--vary PATH=FROM..TO`, resolved against the scenario. */
export interface Vary {
  /** As written: `spec.actors[noisy].rate`. */
  readonly path: string;
  /** The `--set` path it edits, list entries by index: `spec.actors[3].rate`. */
  readonly setPath: string;
  /** What follows the number in FROM and TO (`/s`, `s`, ``), appended to every value. */
  readonly unit: string;
  /** Its values, in the order they run. */
  readonly values: readonly number[];
}

/** How the values between FROM and TO are spaced. */
export type Spacing = { readonly steps: number } | { readonly factor: number };

/** A load level: one value of every --vary, and the overrides that set them. */
export interface Level {
  /** 0-based, in run order. */
  readonly index: number;
  /** One value per --vary, in the order the flags were given. */
  readonly values: readonly number[];
  /** `rate=40/s`, `rate=40/s count=2`: the level as people read it. */
  readonly label: string;
  /** `--set` entries, after the user's own --set flags. */
  readonly sets: readonly string[];
  /**
   * The levels of one row share the values of every --vary but the first: a stop condition ends
   * the rest of its row, and the report draws each row as a line over the first --vary.
   */
  readonly row: number;
}

/** The most levels a sweep may have per profile (a grid multiplies quickly). */
export const MAX_LEVELS = 200;

const NUMBER_WITH_UNIT = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$/;

const badVary = (flag: string, message: string, hint?: string) =>
  new ApfbenchError('APFBENCH_BAD_VARY', `--vary ${flag}: ${message}`, {
    kind: 'invalid-input',
    ...(hint === undefined ? {} : { hint }),
  });

/** Rounds away the float noise of repeated multiplication: 6 significant digits. */
const tidy = (x: number) => Number(x.toPrecision(6));

/**
 * The values from `from` to `to` (both included): `steps` evenly spaced ones, or `from` times
 * `factor` to the power 0, 1, 2 ... while within `to` (then `to` itself, if the last fell short
 * of it). Whole numbers stay whole when both ends are (a count cannot be 2.5); values that
 * rounding makes equal are kept once.
 */
export function levelValues(from: number, to: number, spacing: Spacing): number[] {
  const whole = Number.isInteger(from) && Number.isInteger(to);
  const round = (x: number) => (whole ? Math.round(x) : tidy(x));
  let values: number[];
  if ('steps' in spacing) {
    const n = spacing.steps;
    values =
      n === 1
        ? [from]
        : Array.from({ length: n }, (_, i) => round(from + ((to - from) * i) / (n - 1)));
  } else {
    const up = to >= from;
    values = [];
    for (let x = from; up ? x <= to * (1 + 1e-9) : x >= to * (1 - 1e-9); x *= spacing.factor) {
      values.push(round(x));
      if (values.length > MAX_LEVELS) break;
    }
    if (values.at(-1) !== to) values.push(to);
  }
  return [...new Set(values)];
}

const SEGMENT = /(^|\.)([A-Za-z_][\w-]*)|\[(\d+)\]|\[([A-Za-z_][\w-]*)\]/y;

/**
 * A `--set` path that may name list entries by their `name` (`spec.actors[noisy].rate`), as a
 * path with indices (`spec.actors[3].rate`), the names looked up in `root`; undefined when the
 * path is malformed or names an entry `root` does not have.
 */
export function resolveNamedPath(text: string, root: unknown): Path | undefined {
  const path: PropertyKey[] = [];
  const segment = new RegExp(SEGMENT);
  let node: unknown = root;
  while (segment.lastIndex < text.length) {
    const match = segment.exec(text);
    if (!match) return undefined;
    const [, dot, key, index, name] = match;
    if (key !== undefined && (dot === '.') !== path.length > 0) return undefined;
    let next: PropertyKey;
    if (name !== undefined) {
      if (!Array.isArray(node)) return undefined;
      next = node.findIndex(
        (item: unknown) =>
          typeof item === 'object' && item !== null && (item as { name?: unknown }).name === name,
      );
      if (next < 0) return undefined;
    } else {
      next = key ?? Number(index);
    }
    path.push(next);
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<PropertyKey, unknown>)[next]
        : undefined;
  }
  return path.length > 0 ? path : undefined;
}

/**
 * Parses one `--vary PATH=FROM..TO` against the scenario `root` (its parsed value, to find list
 * entries by name): FROM and TO are numbers with the same unit, if any (`20/s..140/s`).
 */
export function parseVary(flag: string, spacing: Spacing, root: unknown): Vary {
  const eq = flag.indexOf('=');
  const range = eq > 0 ? flag.slice(eq + 1).split('..') : [];
  if (eq <= 0 || range.length !== 2) {
    throw badVary(
      flag,
      'must be PATH=FROM..TO',
      'for example --vary spec.actors[noisy].rate=20/s..140/s',
    );
  }
  const pathText = flag.slice(0, eq).trim();
  const path = resolveNamedPath(pathText, root);
  if (path === undefined) {
    throw badVary(
      flag,
      `${pathText} is not a field of the scenario`,
      'name list entries by index or by name: spec.actors[0].rate or spec.actors[noisy].rate',
    );
  }
  const [fromText, toText] = range as [string, string];
  const from = NUMBER_WITH_UNIT.exec(fromText);
  const to = NUMBER_WITH_UNIT.exec(toText);
  if (from === null || to === null) {
    throw badVary(flag, 'FROM and TO must be numbers, with a unit if the field has one (20/s)');
  }
  const unit = from[2] || to[2] || '';
  if ((from[2] !== '' && from[2] !== unit) || (to[2] !== '' && to[2] !== unit)) {
    throw badVary(flag, `FROM and TO have different units (${from[2]} and ${to[2]})`);
  }
  const lo = Number(from[1]);
  const hi = Number(to[1]);
  if ('factor' in spacing && (lo <= 0 || hi <= 0)) {
    throw badVary(flag, '--factor needs FROM and TO above 0', 'use --steps for a linear range');
  }
  return {
    path: pathText,
    setPath: formatPath(path),
    unit,
    values: levelValues(lo, hi, spacing),
  };
}

const valueText = (v: Vary, x: number) => `${x}${v.unit}`;
const shortName = (v: Vary) => v.path.replace(/^.*[.\]]/, '') || v.path;

/**
 * Every combination of the --vary values: the first --vary varies fastest, so each row (the
 * other values fixed) runs its loads from low to high, one row after the other.
 */
export function sweepLevels(varies: readonly Vary[]): Level[] {
  const first = varies[0];
  if (first === undefined) return [];
  let combos: number[][] = [[]];
  for (const v of varies) combos = v.values.flatMap((x) => combos.map((c) => [...c, x]));
  if (combos.length > MAX_LEVELS) {
    throw new ApfbenchError(
      'APFBENCH_BAD_VARY',
      `the --vary flags make ${combos.length} levels per profile, more than ${MAX_LEVELS}`,
      { kind: 'invalid-input', hint: 'use fewer --steps, a larger --factor or fewer --vary' },
    );
  }
  return combos.map((values, index) => ({
    index,
    values,
    label: varies.map((v, i) => `${shortName(v)}=${valueText(v, values[i]!)}`).join(' '),
    sets: varies.map((v, i) => `${v.setPath}=${valueText(v, values[i]!)}`),
    row: Math.floor(index / first.values.length),
  }));
}

/** What one level costs besides its load, for the estimate (measured on a 2-core machine). */
export const LEVEL_OVERHEAD = {
  /** Fixture objects created, then deleted, per second. */
  fixtureObjectsPerSecond: 250,
  /** Applying a profile, waiting for the server to take it, restoring it. */
  profileMs: 4_000,
  /** A local control plane starting (per profile), and stopping. */
  controlPlaneMs: 8_000,
  /** A run's drain after its deadline, as usually seen (at most 10 s). */
  drainMs: 2_000,
} as const;

export interface SweepEstimateInput {
  readonly levels: number;
  readonly profiles: number;
  readonly repeat: number;
  /** spec.duration of a level, ms. */
  readonly durationMs: number;
  readonly settleMs: number;
  readonly fixtureObjects: number;
  /** apfbench starts a control plane per profile. */
  readonly local: boolean;
}

/** The expected wall time of a whole sweep, ms: every level run, none stopped early. */
export function estimateSweepMs(e: SweepEstimateInput): number {
  const runs = e.levels * e.repeat;
  const perRun =
    e.durationMs +
    LEVEL_OVERHEAD.drainMs +
    LEVEL_OVERHEAD.profileMs +
    (2 * e.fixtureObjects * 1000) / LEVEL_OVERHEAD.fixtureObjectsPerSecond;
  const perProfile =
    runs * perRun + (runs - 1) * e.settleMs + (e.local ? LEVEL_OVERHEAD.controlPlaneMs : 0);
  return e.profiles * perProfile;
}
