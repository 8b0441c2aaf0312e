// The pure half of `apfbench tune`: the candidates a space makes (a grid, or the steps of a
// coordinate search), how trials rank, which one wins, and the Pareto front of 429 ratio,
// victims' p99 and server CPU.
import type { Candidate, Dimension } from '../profile/tune-space.js';

/** How the candidates are chosen. */
export type Strategy = 'grid' | 'coordinate';

/** The number of candidates in the whole space: the product of its value lists. */
export function spaceSize(dims: readonly Dimension[]): number {
  return dims.reduce((n, d) => n * d.values.length, 1);
}

/** A plain grid when the whole space fits in `maxRuns`, else a coordinate search. */
export function strategyOf(dims: readonly Dimension[], maxRuns: number): Strategy {
  return spaceSize(dims) <= maxRuns ? 'grid' : 'coordinate';
}

/** Every candidate of the space; the first dimension varies slowest. */
export function gridCandidates(dims: readonly Dimension[]): Candidate[] {
  let out: Record<string, number>[] = [{}];
  for (const d of dims) out = out.flatMap((c) => d.values.map((v) => ({ ...c, [d.key]: v })));
  return out;
}

/** The start of a coordinate search: the first value of every dimension. */
export function baseCandidate(dims: readonly Dimension[]): Candidate {
  return Object.fromEntries(dims.map((d) => [d.key, d.values[0]!]));
}

/** The candidates that differ from `from` in dimension `dim` only, in the list's order. */
export function neighbours(from: Candidate, dim: Dimension): Candidate[] {
  return dim.values.filter((v) => v !== from[dim.key]).map((v) => ({ ...from, [dim.key]: v }));
}

/** Runs a coordinate search makes at most: the base, then every other value of each dimension. */
export function coordinateRuns(dims: readonly Dimension[]): number {
  return 1 + dims.reduce((n, d) => n + d.values.length - 1, 0);
}

/** Candidate runs planned (finalist repeats not counted). */
export function plannedRuns(dims: readonly Dimension[], maxRuns: number): number {
  return strategyOf(dims, maxRuns) === 'grid'
    ? spaceSize(dims)
    : Math.min(maxRuns, coordinateRuns(dims));
}

/** `a=1 b=2`: a candidate as people read it. */
export function candidateLabel(c: Candidate): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** What one candidate's runs showed; the figures are means over its runs. */
export interface TrialScore {
  /** Every run completed and met every budget. */
  readonly meets: boolean;
  /** The budgets broken (empty when it meets them all). */
  readonly reasons: readonly string[];
  /** The objective, higher is better; null when a run has no value for it. */
  readonly objective: number | null;
  /** 429s over all requests. */
  readonly ratio429: number | null;
  /** The highest p99 of the victim groups, ms. */
  readonly victimsP99: number | null;
  /** `server.cpuSeconds`, when the results carry it. */
  readonly cpuSeconds: number | null;
}

export interface Trial extends TrialScore {
  /** 1-based, in the order the candidates first ran. */
  readonly id: number;
  readonly candidate: Candidate;
}

const orWorst = (x: number | null, worst: number) => (x === null ? worst : x);

/**
 * Orders trials best first: those that meet every budget, then fewer broken budgets, then the
 * higher objective, then the lower 429 ratio, then the lower victims' p99, then the earlier.
 */
export function compareTrials(a: Trial, b: Trial): number {
  return (
    Number(b.meets) - Number(a.meets) ||
    a.reasons.length - b.reasons.length ||
    orWorst(b.objective, -Infinity) - orWorst(a.objective, -Infinity) ||
    orWorst(a.ratio429, Infinity) - orWorst(b.ratio429, Infinity) ||
    orWorst(a.victimsP99, Infinity) - orWorst(b.victimsP99, Infinity) ||
    a.id - b.id
  );
}

/** The best trial (by compareTrials), undefined when there is none. */
export function bestTrial<T extends Trial>(trials: readonly T[]): T | undefined {
  return [...trials].sort(compareTrials)[0];
}

/** The `n` best trials that meet every budget: the finalists, repeated to rule out noise. */
export function finalists<T extends Trial>(trials: readonly T[], n: number): T[] {
  return trials
    .filter((t) => t.meets)
    .sort(compareTrials)
    .slice(0, n);
}

/** `a` is at least as good as `b` on every figure (lower is better) and better on one. */
function dominates(a: TrialScore, b: TrialScore): boolean {
  const pairs = [
    [a.ratio429, b.ratio429],
    [a.victimsP99, b.victimsP99],
    // CPU only counts when both have it: results without it are not worse for that.
    ...(a.cpuSeconds !== null && b.cpuSeconds !== null ? [[a.cpuSeconds, b.cpuSeconds]] : []),
  ].map(([x, y]) => [orWorst(x ?? null, Infinity), orWorst(y ?? null, Infinity)] as const);
  return pairs.every(([x, y]) => x <= y) && pairs.some(([x, y]) => x < y);
}

/**
 * The Pareto front of the trials over 429 ratio, victims' p99 and server CPU (all lower is
 * better): those no other trial dominates, in id order.
 */
export function paretoFront<T extends Trial>(trials: readonly T[]): T[] {
  return trials.filter((t) => !trials.some((o) => o !== t && dominates(o, t)));
}
