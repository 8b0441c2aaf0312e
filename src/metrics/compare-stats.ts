/**
 * The statistics of `apfbench compare`: per profile, the mean of each figure over repeated runs,
 * and per profile against the baseline, the difference of means with a 95 % Welch confidence
 * interval, so that a difference can be told from run-to-run noise. Pure.
 */
import { z } from 'zod';

/** Two-sided 97.5 % quantiles of Student's t by degrees of freedom (1–30, then 40, 60, 120). */
const T975: readonly [number, number][] = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [6, 2.447],
  [7, 2.365],
  [8, 2.306],
  [9, 2.262],
  [10, 2.228],
  [11, 2.201],
  [12, 2.179],
  [13, 2.16],
  [14, 2.145],
  [15, 2.131],
  [16, 2.12],
  [17, 2.11],
  [18, 2.101],
  [19, 2.093],
  [20, 2.086],
  [21, 2.08],
  [22, 2.074],
  [23, 2.069],
  [24, 2.064],
  [25, 2.06],
  [26, 2.056],
  [27, 2.052],
  [28, 2.048],
  [29, 2.045],
  [30, 2.042],
  [40, 2.021],
  [60, 2.0],
  [120, 1.98],
];

/** The 97.5 % quantile of t with `df` degrees of freedom (interpolated; 1.96 beyond 120). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return Number.POSITIVE_INFINITY;
  const last = T975[T975.length - 1]!;
  if (df >= last[0])
    return df > 1000 ? 1.96 : last[1] + ((1.96 - last[1]) * (df - last[0])) / (1000 - last[0]);
  for (let i = 1; i < T975.length; i++) {
    const [d1, t1] = T975[i - 1]!;
    const [d2, t2] = T975[i]!;
    if (df <= d2) return t1 + ((t2 - t1) * (df - d1)) / (d2 - d1);
  }
  return 1.96;
}

export const sampleSchema = z.object({
  n: z.number(),
  mean: z.number(),
  /** Sample standard deviation (n − 1); 0 for a single value. */
  sd: z.number(),
  values: z.array(z.number()),
});
export type Sample = z.infer<typeof sampleSchema>;

export function describe(values: readonly number[]): Sample {
  const n = values.length;
  const mean = n === 0 ? 0 : values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, sd: Math.sqrt(variance), values: [...values] };
}

export const differenceSchema = z.object({
  /** mean(b) − mean(a). */
  diff: z.number(),
  /** diff ÷ |mean(a)|; null when mean(a) is 0. */
  relative: z.number().nullable(),
  /** 95 % Welch interval of the difference; absent with fewer than 2 runs on either side. */
  ci95: z.tuple([z.number(), z.number()]).optional(),
  /** The interval excludes 0 (or, with no spread at all, the means differ). */
  significant: z.boolean().optional(),
});
export type Difference = z.infer<typeof differenceSchema>;

/** Welch's t interval for mean(b) − mean(a), which does not assume equal variances. */
export function welchDifference(a: Sample, b: Sample): Difference {
  const diff = b.mean - a.mean;
  const relative = a.mean === 0 ? null : diff / Math.abs(a.mean);
  if (a.n < 2 || b.n < 2) return { diff, relative };
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { diff, relative, ci95: [diff, diff], significant: diff !== 0 };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const half = tQuantile975(df) * se;
  const ci95: [number, number] = [diff - half, diff + half];
  return { diff, relative, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
}

/**
 * The order of runs for `profiles` profiles repeated `repeat` times: forward, then backward,
 * and so on (A B, B A, A B ...), so that a drift over time (a warming cache, a growing etcd)
 * does not always favour the same profile, and neighbouring runs with equal flags share a
 * control plane.
 */
export function interleavedOrder(profiles: number, repeat: number): number[] {
  const forward = Array.from({ length: profiles }, (_, i) => i);
  return Array.from({ length: repeat }, (_, r) =>
    r % 2 === 0 ? forward : [...forward].reverse(),
  ).flat();
}
