// What verdicts share: who a figure belongs to, and the thresholds they judge by.
import type { RunResult } from '../../result/result.js';
import type { GroupRow } from '../model.js';
import { runtime } from '../runtime.js';

/** Share of a run's 429 responses above which throttling is a problem, not a blip. */
export const THROTTLING_BAD_SHARE = 0.01;

/** What the verdicts say about 429s that fell only on groups named noisy. */
export const NOISY_THROTTLING_NOTE =
  'every 429 went to a group named noisy (--noisy): APF held back the noisy neighbour, not its victims';

/** Jain's index below which a priority level's flows were not served fairly. */
export const JAIN_WARN_BELOW = 0.9;

/**
 * Whose a figure is, from each group's share of it: "all noisy" when one group has it all,
 * else "quiet: 12, noisy: 3"; groups with none are left out. `format` formats a share (a mean
 * over repeats in a comparison).
 */
export function whose(
  shares: readonly (readonly [group: string, n: number])[],
  format: (n: number) => string = runtime.formatCount,
): string {
  const some = shares.filter(([, n]) => n > 0);
  if (some.length === 1) return `all ${some[0]![0]}`;
  return some.map(([group, n]) => `${group}: ${format(n)}`).join(', ');
}

/** The groups a run was told are noisy (`--noisy`), whose throttling is APF doing its job. */
export function noisyGroups(r: RunResult): ReadonlySet<string> {
  return new Set((r.fairness?.latencyRatios ?? []).map((pair) => pair.noisy));
}

/** True when a run had 429s and every one of them was a group named noisy (`--noisy`). */
export function throttledOnlyNoisy(r: RunResult, groups: readonly GroupRow[]): boolean {
  const noisy = noisyGroups(r);
  const throttled = groups.filter((g) => g.throttled > 0);
  return throttled.length > 0 && throttled.every((g) => noisy.has(g.group));
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
