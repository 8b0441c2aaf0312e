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
import { inflateSync } from 'node:zlib';
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

/**
 * An encoded histogram's non-zero buckets, decoded without building a histogram: what the
 * coordinator adds into its accumulators, once per snapshot however many accumulators take it.
 * `layout` is false for an encoding whose bucket layout is not this module's (then `histogram`
 * holds it decoded the general way).
 */
export type DecodedCounts =
  | {
      readonly layout: true;
      /** Bucket indices, ascending, and their counts. */
      readonly indices: Uint32Array;
      readonly counts: Float64Array;
      readonly total: number;
      /** The decoded histogram's `maxValue` and `minNonZeroValue`, as `decode` would set them. */
      readonly maxValue: number;
      readonly minNonZeroValue: number;
    }
  | { readonly layout: false; readonly histogram: DurationHistogram };

const NO_COUNTS: DecodedCounts = {
  layout: true,
  indices: new Uint32Array(0),
  counts: new Float64Array(0),
  total: 0,
  maxValue: 0,
  minNonZeroValue: Number.MAX_VALUE,
};

const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const V2_COOKIE = 0x1c849303 | 0x10;
/** Cookie, payload length, normalizing offset, digits, lowest, highest, conversion ratio. */
const V2_HEADER_BYTES = 40;

/** The accumulators' layout, to check a decoded header against and to map indices to values. */
const LAYOUT = createAccumulator().hdr as JsHistogram;
/** Scratch for one decoding's buckets; copied out at its length. */
const scratchIndices = new Uint32Array(LAYOUT.countsArrayLength);
const scratchCounts = new Float64Array(LAYOUT.countsArrayLength);

/**
 * `decode(encoded)`'s buckets, parsed straight from the HdrHistogram V2 format: no 64-bit
 * histogram is allocated and scanned per encoding, only its non-zero buckets are kept.
 */
export function decodeCounts(encoded: string): DecodedCounts {
  if (encoded === EMPTY_ENCODED) return NO_COUNTS;
  const compressed = Buffer.from(encoded.trim(), 'base64');
  const view = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
  if (compressed.byteLength < 8 || (view.getInt32(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) {
    return { layout: false, histogram: decode(encoded) };
  }
  const data = inflateSync(compressed.subarray(8, 8 + view.getInt32(4)));
  const header = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (
    data.byteLength < V2_HEADER_BYTES ||
    header.getInt32(0) !== V2_COOKIE ||
    header.getInt32(12) !== LAYOUT.numberOfSignificantValueDigits ||
    Number(header.getBigInt64(16)) !== LAYOUT.lowestDiscernibleValue ||
    Number(header.getBigInt64(24)) !== LAYOUT.highestTrackableValue
  ) {
    return { layout: false, histogram: decode(encoded) };
  }
  const end = Math.min(V2_HEADER_BYTES + header.getInt32(4), data.byteLength);
  let n = 0;
  let total = 0;
  let index = 0;
  let position = V2_HEADER_BYTES;
  while (position < end) {
    // A ZigZag LEB128 word of up to 9 bytes, read as the library does (exact up to 2^53).
    let value = 0;
    let scale = 1;
    let byte: number;
    let bytes = 0;
    do {
      byte = data[position++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while ((byte & 0x80) !== 0 && ++bytes < 9);
    const count = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    if (count < 0) {
      index -= count;
      continue;
    }
    if (count > 0) {
      if (index >= LAYOUT.countsArrayLength) return { layout: false, histogram: decode(encoded) };
      scratchIndices[n] = index;
      scratchCounts[n++] = count;
      total += count;
    }
    index++;
  }
  if (n === 0) return NO_COUNTS;
  const maxIndex = scratchIndices[n - 1]!;
  const minIndex =
    scratchIndices[0] !== 0 ? scratchIndices[0] : n > 1 ? scratchIndices[1] : undefined;
  return {
    layout: true,
    indices: scratchIndices.slice(0, n),
    counts: scratchCounts.slice(0, n),
    total,
    // As JsHistogram.establishInternalTackingValues, for lowestDiscernibleValue 1 (no unit mask).
    maxValue: LAYOUT.highestEquivalentValue(LAYOUT.valueFromIndex(maxIndex)),
    minNonZeroValue: minIndex === undefined ? Number.MAX_VALUE : LAYOUT.valueFromIndex(minIndex),
  };
}

/**
 * `merge(into, decode(encoded))` for decoded buckets: the same counts, total, max and min as
 * hdr-histogram-js's `add`, touching only the non-zero buckets. `into` is an accumulator.
 */
export function mergeCounts(into: DurationHistogram, decoded: DecodedCounts): void {
  if (!decoded.layout) {
    merge(into, decoded.histogram);
    return;
  }
  if (decoded.total === 0) return;
  const hdr = into.hdr as JsHistogram;
  const { indices, counts } = decoded;
  for (let i = 0; i < indices.length; i++) hdr.addToCountAtIndex(indices[i]!, counts[i]!);
  hdr.setTotalCount(hdr.totalCount + decoded.total);
  hdr.maxValue = Math.max(hdr.maxValue, decoded.maxValue);
  const minNonZero = Math.min(hdr.minNonZeroValue, decoded.minNonZeroValue);
  if (minNonZero > 0) hdr.minNonZeroValue = minNonZero;
}

/** `merge(into, decode(encoded))`, skipping the work for an empty encoding. */
export function mergeEncoded(into: DurationHistogram, encoded: string): void {
  mergeCounts(into, decodeCounts(encoded));
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
