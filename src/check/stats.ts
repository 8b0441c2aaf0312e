// Welch's t-test, to tell a regression from run-to-run noise when both sides have repeats.
// Welch's rather than Student's because a regression often changes the spread as well as the
// mean; rather than Mann-Whitney because with the 3-5 repeats a CI job can afford, Mann-Whitney's
// smallest attainable p-value (1/C(n+m, n), e.g. 0.05 for 3 vs 3) is too coarse to be useful.

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample variance (n − 1). */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

export function median(xs: readonly number[]): number {
  const s = xs.toSorted((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~15 digits for x > 0.
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531,
    -176.61503916999186, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xm = x - 1;
  let a = c[0] ?? 0;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T > t) for Student's t distribution with `df` degrees of freedom. */
export function studentTUpperTail(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

export interface WelchResult {
  readonly t: number;
  readonly df: number;
  /** One-sided p-value for "candidate mean > baseline mean" (or < for `direction: 'decrease'`). */
  readonly p: number;
}

/**
 * One-sided Welch's t-test of whether `candidate` is larger (`increase`) or smaller
 * (`decrease`) than `baseline`. Needs two or more values on each side. When both sides have
 * no spread at all the difference is exact: p is 0 if the means differ that way, else 1.
 */
export function welchTTest(
  candidate: readonly number[],
  baseline: readonly number[],
  direction: 'increase' | 'decrease',
): WelchResult {
  if (candidate.length < 2 || baseline.length < 2) {
    throw new RangeError("Welch's t-test needs at least two values on each side");
  }
  const sign = direction === 'increase' ? 1 : -1;
  const diff = (mean(candidate) - mean(baseline)) * sign;
  const vc = variance(candidate) / candidate.length;
  const vb = variance(baseline) / baseline.length;
  const se2 = vc + vb;
  if (se2 === 0) return { t: diff === 0 ? 0 : diff * Infinity, df: NaN, p: diff > 0 ? 0 : 1 };
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (vc ** 2 / (candidate.length - 1) + vb ** 2 / (baseline.length - 1));
  return { t, df, p: studentTUpperTail(t, df) };
}
