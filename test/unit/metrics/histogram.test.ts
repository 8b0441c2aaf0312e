import { describe, expect, it } from 'vitest';

import {
  EMPTY_ENCODED,
  HIGHEST_TRACKABLE_US,
  IntervalRecorder,
  createAccumulator,
  createRecorder,
  decode,
  encode,
  merge,
  record,
  reset,
  summarizeMs,
  type DurationHistogram,
} from '../../../src/metrics/histogram.js';

function filled(
  values: readonly number[],
  h: DurationHistogram = createRecorder(),
): DurationHistogram {
  for (const v of values) {
    record(h, v);
  }
  return h;
}

/** 1..10_000 µs, each once. */
const ramp = Array.from({ length: 10_000 }, (_, i) => i + 1);

describe('duration histograms', () => {
  it('summarizes in ms with 3 significant digits of precision', () => {
    expect(summarizeMs(filled(ramp))).toEqual({
      count: 10_000,
      p50: 5.003,
      p90: 9.007,
      p99: 9.903,
      p999: 9.991,
      max: 10.007,
      mean: 5.001,
    });
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(summarizeMs(createRecorder())).toEqual({
      count: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
      mean: 0,
    });
  });

  it('round-trips through encode and decode', () => {
    const h = filled([1, 250, 250, 12_345, 3_000_000]);
    const decoded = decode(encode(h));
    expect(summarizeMs(decoded)).toEqual(summarizeMs(h));
    expect(encode(decoded)).toBe(encode(h));
  });

  it('encodes an empty histogram as the empty string and decodes it back', () => {
    expect(encode(createRecorder())).toBe(EMPTY_ENCODED);
    expect(decode(EMPTY_ENCODED).hdr.totalCount).toBe(0);
  });

  it('merges to the same distribution as recording all values in one', () => {
    const into = filled(ramp.slice(0, 3000), createAccumulator());
    merge(into, decode(encode(filled(ramp.slice(3000)))));
    expect(summarizeMs(into)).toEqual(summarizeMs(filled(ramp)));
  });

  it.each([
    ['negative', -5, 0],
    ['NaN', NaN, 0],
    ['over one hour', HIGHEST_TRACKABLE_US + 1000, HIGHEST_TRACKABLE_US],
  ])('clamps a %s value and counts it', (_name, value, recorded) => {
    const h = filled([value]);
    expect(h.clamped).toBe(1);
    expect(h.hdr.maxValue).toBe(recorded);
  });

  it('keeps in-range values unclamped, rounding to whole µs', () => {
    const h = filled([0, 0.4, 1.6, HIGHEST_TRACKABLE_US]);
    expect(h.clamped).toBe(0);
    expect(h.hdr.totalCount).toBe(4);
    expect(h.hdr.getValueAtPercentile(50)).toBe(0);
  });

  it('carries clamp counts through merge and clears them on reset', () => {
    const into = filled([-1]);
    merge(into, filled([-1, -2]));
    expect(into.clamped).toBe(3);
    reset(into);
    expect(into.clamped).toBe(0);
    expect(into.hdr.totalCount).toBe(0);
  });
});

describe('IntervalRecorder', () => {
  it('hands out each interval once and starts the next one empty', () => {
    const recorder = new IntervalRecorder();
    recorder.record(100);
    recorder.record(-1);
    const first = recorder.flush();
    recorder.record(200);
    const second = recorder.flush();
    expect(first.clamped).toBe(1);
    expect(decode(first.encoded).hdr.totalCount).toBe(2);
    expect(second.clamped).toBe(0);
    expect(summarizeMs(decode(second.encoded)).max).toBe(0.2);
    expect(recorder.flush().encoded).toBe(EMPTY_ENCODED);
  });
});
