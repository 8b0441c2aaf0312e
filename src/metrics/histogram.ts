/**
 * HDR histograms of durations in microseconds (1 µs resolution up to 1 h, 3 significant digits),
 * over hdr-histogram-js.
 *
 * Implementation choice: the pure-JS typed-array histograms (`useWebAssembly: false`). The WASM
 * ones must be initialised in every worker thread and freed by hand (`destroy()`), and are not
 * faster for single `recordValue` calls. Recorders use 32-bit buckets (`Uint32Array`, ~95 KB;
 * one interval cannot overflow them); accumulators and decoded histograms use 64-bit buckets
 * (`Float64Array`, exact up to 2^53) so that totals merged over a long run cannot wrap.
 * `autoResize` is off: the range is fixed and out-of-range values are clamped, never thrown.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  JsHistogram,
  type BitBucketSize,
  type Histogram,
} from 'hdr-histogram-js';
import { z } from 'zod';

export const HIGHEST_TRACKABLE_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

const RECORDER_BUCKETS: BitBucketSize = 32;
const ACCUMULATOR_BUCKETS: BitBucketSize = 64;

/** A histogram of microseconds plus the number of values that had to be clamped into range. */
export interface DurationHistogram {
  readonly hdr: Histogram;
  clamped: number;
}

/**
 * Percentiles in milliseconds, rounded to 3 decimals (1 µs); all 0 when count is 0. Like every
 * percentile, `max` is the highest value equivalent to the largest recorded one (within 0.1 %),
 * so that a live histogram and its decoded copy summarize identically.
 */
export const durationSummarySchema = z.object({
  count: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
  mean: z.number(),
});
export type DurationSummary = z.infer<typeof durationSummarySchema>;

/** A histogram for the hot path of one worker, reset every interval. */
export function createRecorder(): DurationHistogram {
  return create(RECORDER_BUCKETS);
}

/** A histogram that accumulates decoded intervals for a whole run. */
export function createAccumulator(): DurationHistogram {
  return create(ACCUMULATOR_BUCKETS);
}

function create(bitBucketSize: BitBucketSize): DurationHistogram {
  const hdr = build({
    bitBucketSize,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
  return { hdr, clamped: 0 };
}

/**
 * Records a duration, rounded to whole µs. Negative, NaN and over-range values are recorded as
 * 0 or `HIGHEST_TRACKABLE_US` and counted in `clamped`.
 */
export function record(h: DurationHistogram, us: number): void {
  const value = Math.round(us);
  if (value >= 0 && value <= HIGHEST_TRACKABLE_US) {
    h.hdr.recordValue(value);
    return;
  }
  h.clamped++;
  h.hdr.recordValue(value > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : 0);
}

/** The encoding of a histogram with no values; cheap to ship and to skip when merging. */
export const EMPTY_ENCODED = '';

/**
 * The values as compressed base64 (the HdrHistogram V2 format), or `EMPTY_ENCODED` when there
 * are none; `clamped` is not included.
 */
export function encode(h: DurationHistogram): string {
  return h.hdr.totalCount === 0 ? EMPTY_ENCODED : encodeIntoCompressedBase64(h.hdr);
}

/** Decodes `encode` output into a 64-bit-bucket histogram with `clamped` = 0. */
export function decode(encoded: string): DurationHistogram {
  if (encoded === EMPTY_ENCODED) {
    return createAccumulator();
  }
  return {
    hdr: decodeFromCompressedBase64(encoded, ACCUMULATOR_BUCKETS, false, HIGHEST_TRACKABLE_US),
    clamped: 0,
  };
}

/** `merge(into, decode(encoded))`, skipping the work for an empty encoding. */
export function mergeEncoded(into: DurationHistogram, encoded: string): void {
  if (encoded !== EMPTY_ENCODED) {
    merge(into, decode(encoded));
  }
}

/** Adds every value (and the clamp count) of `from` into `into`. */
export function merge(into: DurationHistogram, from: DurationHistogram): void {
  into.hdr.add(from.hdr);
  into.clamped += from.clamped;
}

export function reset(h: DurationHistogram): void {
  h.hdr.reset();
  h.clamped = 0;
}

export function summarizeMs(h: DurationHistogram): DurationSummary {
  const { hdr } = h;
  if (hdr.totalCount === 0) {
    return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  }
  return {
    count: hdr.totalCount,
    p50: usToMs(hdr.getValueAtPercentile(50)),
    p90: usToMs(hdr.getValueAtPercentile(90)),
    p99: usToMs(hdr.getValueAtPercentile(99)),
    p999: usToMs(hdr.getValueAtPercentile(99.9)),
    max: usToMs(hdr.getValueAtPercentile(100)),
    mean: usToMs(hdr.mean),
  };
}

/** Microseconds to milliseconds, rounded to 3 decimals. */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** An interval's values, encoded, with the number clamped in that interval. */
export interface EncodedInterval {
  readonly encoded: string;
  readonly clamped: number;
}

/**
 * The interval-recorder pattern (HdrHistogram `Recorder`, autocannon `histUtil`): the hot path
 * records into one histogram; once per interval `flush` encodes it and resets it in place.
 * Worker threads are single-threaded, so no record can interleave with a flush and no swap with
 * a second histogram is needed; nothing is allocated per record.
 */
export class IntervalRecorder {
  private readonly active = createRecorder();

  record(us: number): void {
    record(this.active, us);
  }

  /** Values recorded since the previous flush. */
  count(): number {
    return this.active.hdr.totalCount;
  }

  /** Encodes everything recorded since the previous flush, then starts a new interval. */
  flush(): EncodedInterval {
    const interval = { encoded: encode(this.active), clamped: this.active.clamped };
    reset(this.active);
    return interval;
  }
}

const decodes = (encoded: string) => {
  try {
    decode(encoded);
    return true;
  } catch {
    return false;
  }
};

/** An `encode`d histogram in a result; '' (nothing recorded) decodes too. */
export const encodedHistogramSchema = z
  .string()
  .refine(decodes, 'must be an encoded HDR histogram (compressed base64)');

/**
 * The values of `h` per bucket of `boundsUs` (ascending upper bounds, inclusive, as Prometheus'
 * `le`), plus one last entry for the values above the last bound: not cumulative. A value lands
 * by its HDR bucket's lowest equivalent value, so that a value equal to a bound counts within it;
 * one above a bound by less than the histogram's 0.1 % may count within it too. Walks the
 * recorded buckets once.
 */
export function countsPerBucket(h: DurationHistogram, boundsUs: readonly number[]): number[] {
  const counts = new Array<number>(boundsUs.length + 1).fill(0);
  if (h.hdr.totalCount === 0) return counts;
  if (!(h.hdr instanceof JsHistogram)) {
    throw new Error('countsPerBucket needs a JavaScript HDR histogram (useWebAssembly: false)');
  }
  const hdr = h.hdr;
  const values = hdr.recordedValuesIterator;
  values.reset();
  let bucket = 0;
  while (values.hasNext()) {
    const { valueIteratedTo, countAtValueIteratedTo } = values.next();
    const lowest = hdr.lowestEquivalentValue(valueIteratedTo);
    while (bucket < boundsUs.length && lowest > boundsUs[bucket]!) bucket++;
    counts[bucket]! += countAtValueIteratedTo;
  }
  return counts;
}
