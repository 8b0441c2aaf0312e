// How the figures of comparison.json read: their unit, and their values and differences for
// people.
import type { Difference } from '../metrics/compare-stats.js';
import type { FigureUnit } from './model.js';
import { runtime } from './runtime.js';

/** The unit of a figure of comparison.json, from its name (see engine/compare.ts `runFigures`). */
export function figureUnit(figure: string): FigureUnit {
  if (/ ms$|Ms$/.test(figure)) return 'ms';
  if (figure.endsWith('/s')) return 'per-second';
  if (figure.endsWith('.jain')) return 'index';
  return 'count';
}

const sig3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
const { formatCount, formatMs, formatRate, formatPercent } = runtime;

/** A figure's value for people: counts as counts (a mean of repeats to 3 digits), ms, rates. */
export function formatFigure(unit: FigureUnit, v: number): string {
  switch (unit) {
    case 'ms':
      return formatMs(v);
    case 'per-second':
      return formatRate(v);
    case 'index':
      return v.toFixed(3);
    case 'count':
      return Number.isInteger(v) ? formatCount(v) : sig3.format(v);
  }
}

/** A difference with its sign: +251, −5.68 ms, +0.010. */
export function formatSigned(unit: FigureUnit, v: number): string {
  if (v === 0) return unit === 'index' ? '0.000' : '0';
  return `${v > 0 ? '+' : '−'}${formatFigure(unit, Math.abs(v))}`;
}

/** A relative change: +12.3 %, or "new" when the baseline is 0. */
export function formatRelative(d: Difference): string {
  if (d.relative === null) return d.diff === 0 ? '0%' : 'from 0';
  if (d.relative === 0) return '0%';
  return `${d.relative > 0 ? '+' : '−'}${formatPercent(Math.abs(d.relative))}`;
}

/** The 95 % interval as `[−1.2, +3.4]`, or undefined without repeats. */
export function formatInterval(unit: FigureUnit, d: Difference): string | undefined {
  if (d.ci95 === undefined) return undefined;
  return `[${formatSigned(unit, d.ci95[0])}, ${formatSigned(unit, d.ci95[1])}]`;
}
