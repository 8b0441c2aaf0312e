import { decode, usToMs } from '../metrics/histogram.js';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Points per decade of 1/(1 − p): p = 0, 20.6 %, 36.9 %, … 90 %, … 99 %, … */
export const SPECTRUM_POINTS_PER_DECADE = 10;

/**
 * The percentile spectrum of an encoded µs histogram, as in HdrHistogram plots: x = 1/(1 − p)
 * (1 at p = 0, 10 at p = 90 %, 100 at p = 99 %, …), y = the value at p in ms. Walks x from 1 in
 * equal log steps up to the number of values (beyond that a percentile no longer has a value of
 * its own) and ends with that point. Empty when the histogram is.
 */
export function percentileSpectrum(encoded: string): Point[] {
  const { hdr } = decode(encoded);
  const count = hdr.totalCount;
  if (count === 0) return [];
  const xs: number[] = [];
  const decades = Math.log10(count);
  for (let k = 0; k / SPECTRUM_POINTS_PER_DECADE < decades; k++) {
    xs.push(Number((10 ** (k / SPECTRUM_POINTS_PER_DECADE)).toPrecision(4)));
  }
  xs.push(count);
  return xs.map((x) => ({ x, y: usToMs(hdr.getValueAtPercentile((1 - 1 / x) * 100)) }));
}
