/**
 * Fairness figures for result.json (`fairness`): who got served in proportion to what they asked
 * for, within each priority level, and how much the victims' latency suffered next to the noisy.
 * Pure: everything comes in as arguments.
 *
 * Approximation: APF's flows within a level are (flow schema, distinguisher) pairs, with
 * `ByUser` one flow per user. apfbench records per actor group, not per instance, so each
 * instance of a group counts as one flow whose normalised throughput is the group's:
 * achieved ÷ demanded over the measured part of the run. Within a group that is fair by
 * construction; the index measures fairness between groups, weighted by their instance counts.
 */
import { maxMinFairShares, maxMinJainIndex, weightedJainIndex } from './max-min.js';
import { z } from 'zod';
import type { DurationSummary } from './histogram.js';
import type { PriorityLevelSummary } from './server-metrics.js';

/** One server sample, as far as fairness reads it. */
export interface ServerSeriesPointLike {
  readonly priorityLevels: Readonly<Record<string, { readonly executingSeats: number }>>;
}

export { jainIndex, weightedJainIndex } from './max-min.js';

/** What fairness needs of one actor group's result. */
export interface GroupFigures {
  readonly count: number;
  readonly requests: {
    readonly total: number;
    readonly sent: number;
    readonly dropped: number;
    readonly errors: number;
    readonly byPriorityLevel: Readonly<Record<string, number>>;
    readonly latencyMs: DurationSummary;
  };
}

export const flowFairnessSchema = z.object({
  /** Instances of the group: flows of the level under a ByUser distinguisher. */
  instances: z.number(),
  /** Sends the schedule asked for: sent + dropped. */
  demanded: z.number(),
  /** Successful (2xx) completions. */
  achieved: z.number(),
  /** achieved ÷ demanded. */
  normalisedThroughput: z.number(),
  /** This group's part of everything the level served for apfbench, 0..1. */
  share: z.number(),
  /**
   * The group's max-min fair share of what the level delivered, given every group's demand
   * (see max-min.ts); absent from results written before it was added.
   */
  fairShare: z.number().optional(),
});
export type FlowFairness = z.infer<typeof flowFairnessSchema>;

export const priorityLevelFairnessSchema = z.object({
  /**
   * Jain's index over achieved ÷ demanded per flow, in (0, 1]: 1 only when every flow got the
   * same part of what it asked for, so it falls below 1 for a max-min fair outcome with unequal
   * demands. Kept under its name; `maxMinJainIndex` is the fairness APF aims at.
   */
  jainIndex: z.number(),
  /**
   * Jain's index over achieved ÷ max-min fair share per flow: 1 for an exactly max-min fair
   * outcome whatever the demands (docs/result-format.md). Absent from older results.
   */
  maxMinJainIndex: z.number().optional(),
  /** Flows counted: the instances of the groups below. */
  flows: z.number(),
  /** Per actor group served in this level. */
  groups: z.record(z.string(), flowFairnessSchema),
  /** Mean executing seats of this level ÷ those of all levels, over the server's samples. */
  seatShare: z.number().optional(),
  /** Nominal seats of this level ÷ those of all levels. */
  nominalShare: z.number().optional(),
});
export type PriorityLevelFairness = z.infer<typeof priorityLevelFairnessSchema>;

export const latencyRatioSchema = z.object({
  victim: z.string(),
  noisy: z.string(),
  /** victim p50 ÷ noisy p50 (null when the noisy group has no latency). */
  p50: z.number().nullable(),
  p99: z.number().nullable(),
});
export type LatencyRatio = z.infer<typeof latencyRatioSchema>;

/** The `fairness` section of a result. */
export const fairnessSectionSchema = z.object({
  method: z.string(),
  priorityLevels: z.record(z.string(), priorityLevelFairnessSchema),
  /** The `--victim G --noisy H` pairs the run was told about; the report reads the noisy ones. */
  latencyRatios: z.array(latencyRatioSchema),
});
export type FairnessSection = z.infer<typeof fairnessSectionSchema>;

export const FAIRNESS_METHOD =
  "per actor group: each instance is one flow with its group's demand (sends) and achieved 2xx, split evenly; maxMinJainIndex is Jain's index over achieved ÷ max-min fair share of what the level delivered, jainIndex over achieved ÷ demanded; a group belongs to the priority level that served most of its responses";

/** The fairness figure to show for a level: max-min where the result has it, else the older one. */
export function levelJain(
  pl: Pick<PriorityLevelFairness, 'jainIndex' | 'maxMinJainIndex'>,
): number {
  return pl.maxMinJainIndex ?? pl.jainIndex;
}

/** The priority level that answered most of a group's requests. */
export function mainPriorityLevel(
  byPriorityLevel: Readonly<Record<string, number>>,
): string | undefined {
  let best: string | undefined;
  let most = 0;
  for (const [level, n] of Object.entries(byPriorityLevel)) {
    if (n > most) {
      best = level;
      most = n;
    }
  }
  return best;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
const ratio = (a: number, b: number) => (b > 0 ? round(a / b) : null);

/**
 * Seat shares from the server: per level, the mean of its executing seats over the samples ÷
 * the sum of those means; nominal shares from the nominal seats. The exempt level (which the
 * admin's own scrapes run in) is left out of both.
 */
export function seatShares(
  series: readonly ServerSeriesPointLike[],
  flowControl: Readonly<Record<string, PriorityLevelSummary>>,
): { seat: Record<string, number>; nominal: Record<string, number> } {
  const means: Record<string, number> = {};
  for (const point of series) {
    for (const [level, p] of Object.entries(point.priorityLevels)) {
      if (level === 'exempt') continue;
      means[level] = (means[level] ?? 0) + p.executingSeats / series.length;
    }
  }
  const normalise = (values: Record<string, number>) => {
    const total = Object.values(values).reduce((a, b) => a + b, 0);
    return Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, total > 0 ? round(v / total) : 0]),
    );
  };
  const nominal: Record<string, number> = {};
  for (const [level, s] of Object.entries(flowControl)) {
    if (level !== 'exempt' && s.nominalLimitSeats !== undefined)
      nominal[level] = s.nominalLimitSeats;
  }
  return { seat: normalise(means), nominal: normalise(nominal) };
}

/** The least and most of a gauge over some samples. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * A priority level's seat limits as the server reported them: its nominal seats (fixed by the
 * configuration: KEP-1040's share of the server's concurrency limit) and the range of its
 * current seats (nominal ± what it lent and borrowed) over the samples taken between `fromMs`
 * and `toMs` (epoch ms; every sample when none fell there, or no window is given).
 */
export function seatLimits(
  level: string,
  series: readonly {
    readonly t: number;
    readonly priorityLevels: Readonly<
      Record<string, { readonly currentLimitSeats?: number | undefined }>
    >;
  }[],
  flowControl: Readonly<Record<string, Pick<PriorityLevelSummary, 'nominalLimitSeats'>>>,
  window?: { readonly fromMs: number; readonly toMs: number },
): { nominal: number | undefined; current: Range | undefined } {
  const inWindow =
    window === undefined ? [] : series.filter((p) => p.t >= window.fromMs && p.t <= window.toMs);
  const samples = (inWindow.length > 0 ? inWindow : series).flatMap(
    (p) => p.priorityLevels[level]?.currentLimitSeats ?? [],
  );
  return {
    nominal: flowControl[level]?.nominalLimitSeats,
    current:
      samples.length === 0 ? undefined : { min: Math.min(...samples), max: Math.max(...samples) },
  };
}

export function fairnessSection(
  groups: Readonly<Record<string, GroupFigures>>,
  opts: {
    server?: {
      readonly series: readonly ServerSeriesPointLike[];
      readonly flowControl: Readonly<Record<string, PriorityLevelSummary>>;
    };
    pairs?: readonly { readonly victim: string; readonly noisy: string }[];
  } = {},
): FairnessSection {
  const byLevel = new Map<string, [string, GroupFigures][]>();
  for (const [name, g] of Object.entries(groups)) {
    const level = mainPriorityLevel(g.requests.byPriorityLevel);
    if (level === undefined) continue;
    byLevel.set(level, [...(byLevel.get(level) ?? []), [name, g]]);
  }
  const shares = opts.server && seatShares(opts.server.series, opts.server.flowControl);
  const priorityLevels: Record<string, PriorityLevelFairness> = {};
  for (const [level, members] of [...byLevel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const achievedTotal = members.reduce((n, [, g]) => n + g.requests.total - g.requests.errors, 0);
    const flows: Record<string, FlowFairness> = {};
    const weighted: { x: number; weight: number }[] = [];
    for (const [name, g] of members) {
      const demanded = g.requests.sent + g.requests.dropped;
      const achieved = g.requests.total - g.requests.errors;
      const x = demanded > 0 ? achieved / demanded : 0;
      if (demanded > 0) weighted.push({ x, weight: g.count });
      flows[name] = {
        instances: g.count,
        demanded,
        achieved,
        normalisedThroughput: round(x),
        share: achievedTotal > 0 ? round(achieved / achievedTotal) : 0,
      };
    }
    const index = weightedJainIndex(weighted);
    // A level where apfbench asked for nothing, or got nothing at all, has no fairness to tell.
    if (index === null) continue;
    // Per flow (instance): each group's demand and achieved split over its instances.
    const outcomes = members.map(([, g]) => ({
      demand: (g.requests.sent + g.requests.dropped) / Math.max(1, g.count),
      achieved: (g.requests.total - g.requests.errors) / Math.max(1, g.count),
      weight: g.count,
    }));
    const fair = maxMinFairShares(
      outcomes,
      outcomes.reduce((n, o) => n + o.achieved * o.weight, 0),
    );
    members.forEach(([name, g], i) => {
      const f = flows[name];
      if (f !== undefined) flows[name] = { ...f, fairShare: round(fair[i]! * g.count) };
    });
    const maxMin = maxMinJainIndex(outcomes);
    priorityLevels[level] = {
      jainIndex: round(index),
      ...(maxMin === null ? {} : { maxMinJainIndex: round(maxMin) }),
      flows: weighted.reduce((n, f) => n + f.weight, 0),
      groups: flows,
      ...(shares?.seat[level] === undefined ? {} : { seatShare: shares.seat[level] }),
      ...(shares?.nominal[level] === undefined ? {} : { nominalShare: shares.nominal[level] }),
    };
  }
  const latencyRatios = (opts.pairs ?? []).flatMap(({ victim, noisy }) => {
    const v = groups[victim]?.requests.latencyMs;
    const n = groups[noisy]?.requests.latencyMs;
    if (v === undefined || n === undefined) return [];
    return [{ victim, noisy, p50: ratio(v.p50, n.p50), p99: ratio(v.p99, n.p99) }];
  });
  return { method: FAIRNESS_METHOD, priorityLevels, latencyRatios };
}
