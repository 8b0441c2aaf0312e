/**
 * Max-min fair shares, the allocation APF's fair queuing aims at among the flows of a priority
 * level: capacity is split equally, a flow that asks for less than its equal part gets what it
 * asks, and what it leaves is split again among the others (water-filling).
 *
 * Worked example: a level delivered 12 requests/s to three flows that asked for 2, 5 and 20/s.
 * An equal split is 4 each; the first flow needs only 2, so the other two split the remaining 10:
 * 5 each. The second asks exactly 5 and the third, capped, gets 5. Fair shares: 2, 5, 5. If the
 * server served 2, 5 and 5, every flow got its fair share (x = 1 each) and Jain's index over
 * achieved ÷ fair share is 1, although the third flow got a quarter of what it asked.
 */

/** `weight` flows, each asking for `demand` (any unit: requests, or requests per second). */
export interface FlowDemand {
  readonly demand: number;
  readonly weight: number;
}

/**
 * Each group's max-min fair share per flow of `capacity`, in the order given. Groups with no
 * flow get 0. When capacity exceeds every demand, each flow's share is its demand.
 */
export function maxMinFairShares(groups: readonly FlowDemand[], capacity: number): number[] {
  const shares = groups.map(() => 0);
  const order = groups
    .map((g, i) => ({ ...g, i }))
    .filter((g) => g.weight > 0)
    .sort((a, b) => a.demand - b.demand);
  let remaining = Math.max(0, capacity);
  let flowsLeft = order.reduce((n, g) => n + g.weight, 0);
  for (const g of order) {
    const share = Math.min(Math.max(0, g.demand), remaining / flowsLeft);
    shares[g.i] = share;
    remaining -= share * g.weight;
    flowsLeft -= g.weight;
  }
  return shares;
}

/** A group of `weight` flows that each asked for `demand` and got `achieved`. */
export interface FlowOutcome extends FlowDemand {
  readonly achieved: number;
}

/**
 * Jain's index over x = achieved ÷ max-min fair share, the share computed from the capacity the
 * level actually delivered (Σ achieved). 1 for an exactly max-min fair outcome whatever the
 * demands; 1/n when one of n equal flows got everything. Flows whose fair share is 0 (they asked
 * for nothing) are left out. null when no flow asked for anything.
 */
export function maxMinJainIndex(groups: readonly FlowOutcome[]): number | null {
  const capacity = groups.reduce((n, g) => n + g.achieved * g.weight, 0);
  const fair = maxMinFairShares(groups, capacity);
  const xs = groups.flatMap((g, i) => {
    const share = fair[i]!;
    return share > 0 && g.weight > 0 ? [{ x: g.achieved / share, weight: g.weight }] : [];
  });
  return weightedJainIndex(xs);
}

/** Jain's index J = (Σx)² / (n·Σx²): 1 when all are equal, 1/n when one gets everything. */
export function jainIndex(xs: readonly number[]): number | null {
  return weightedJainIndex(xs.map((x) => ({ x, weight: 1 })));
}

/**
 * Jain's index over flows that come in groups of equal values: `weight` flows with value `x`
 * each. null when there is no flow or every value is 0 (nothing to be fair about).
 */
export function weightedJainIndex(
  flows: readonly { readonly x: number; readonly weight: number }[],
): number | null {
  let n = 0;
  let sum = 0;
  let squares = 0;
  for (const { x, weight } of flows) {
    n += weight;
    sum += weight * x;
    squares += weight * x * x;
  }
  if (n === 0 || squares === 0) return null;
  return (sum * sum) / (n * squares);
}
