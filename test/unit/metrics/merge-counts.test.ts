import { describe, expect, it } from 'vitest';

import {
  EMPTY_ENCODED,
  HIGHEST_TRACKABLE_US,
  createAccumulator,
  decode,
  decodeCounts,
  encode,
  merge,
  mergeCounts,
  summarizeMs,
  type DurationHistogram,
} from '../../../src/metrics/histogram.js';
import { TimelineAggregator } from '../../../src/metrics/timeline-aggregator.js';
import { encoded, snapshot } from '../../support/snapshot.js';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';

/** Deterministic pseudo-random values (a linear congruential generator). */
function values(seed: number, n: number, scaleUs: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return scaleUs * Math.exp((x / 2 ** 31) * 6);
  });
}

/** What an accumulator holds, as every reader sees it. */
function state(h: DurationHistogram) {
  const { totalCount, maxValue, minNonZeroValue } = h.hdr as unknown as {
    totalCount: number;
    maxValue: number;
    minNonZeroValue: number;
  };
  return { encoded: encode(h), totalCount, maxValue, minNonZeroValue, summary: summarizeMs(h) };
}

const fixed = [
  encoded(values(1, 2000, 200)),
  encoded(values(2, 500, 2000)),
  encoded([0, 0, 1, 3]),
  encoded([0]),
  encoded([HIGHEST_TRACKABLE_US, HIGHEST_TRACKABLE_US + 5, -3, 1_000_000_000]),
  encoded(values(3, 10, 1)),
  EMPTY_ENCODED,
];

describe('decodeCounts / mergeCounts', () => {
  it('accumulate exactly what decode + merge (hdr-histogram-js add) accumulate', () => {
    const reference = createAccumulator();
    const accumulator = createAccumulator();
    for (const e of [...fixed, ...fixed.slice().reverse()]) {
      merge(reference, decode(e));
      mergeCounts(accumulator, decodeCounts(e));
      expect(state(accumulator)).toEqual(state(reference));
    }
    expect(reference.hdr.totalCount).toBeGreaterThan(5000);
  });

  it('decodes an encoding of another layout the general way, with the same result', () => {
    const other = build({
      bitBucketSize: 32,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 2,
      useWebAssembly: false,
    });
    values(4, 300, 100).forEach((v) => other.recordValue(Math.round(v)));
    const e = encodeIntoCompressedBase64(other);
    expect(decodeCounts(e).layout).toBe(false);
    const reference = createAccumulator();
    const accumulator = createAccumulator();
    merge(reference, decode(e));
    mergeCounts(accumulator, decodeCounts(e));
    expect(state(accumulator)).toEqual(state(reference));
  });

  it('keeps only the non-zero buckets of this layout', () => {
    const d = decodeCounts(encoded([5, 5, 7, 1_000]));
    expect(d.layout && [...d.counts]).toEqual([2, 1, 1]);
  });
});

describe('TimelineAggregator with shared decoding', () => {
  /** Fixed snapshots from three workers over two groups and three intervals. */
  const snapshots = [0, 1, 2].flatMap((worker) =>
    [0, 1, 2].flatMap((intervalIndex) =>
      ['a', 'b'].map((group, g) => {
        const seed = 1 + worker * 100 + intervalIndex * 10 + g;
        return snapshot({
          intervalIndex,
          group,
          window: intervalIndex === 0 ? 'warmup' : 'measured',
          completed: 100,
          latency: encoded(values(seed, 100, 500)),
          serviceTime: encoded(values(seed + 1, 100, 300)),
          scheduleLag: seed % 3 === 0 ? EMPTY_ENCODED : encoded(values(seed + 2, 50, 10)),
          measures: { reconcile: encoded(values(seed + 3, 20, 1000)) },
        });
      }),
    ),
  );

  it('totals are byte-identical to decoding and merging each histogram on its own', () => {
    const timeline = new TimelineAggregator(1000);
    const measured = new TimelineAggregator(1000);
    for (const s of snapshots) {
      timeline.add(s);
      if (s.window === 'measured') measured.add(s);
    }
    for (const [aggregator, window] of [
      [timeline, undefined],
      [measured, 'measured'],
    ] as const) {
      for (const totals of aggregator.result().totals) {
        const mine = snapshots.filter(
          (s) => s.group === totals.group && (window === undefined || s.window === window),
        );
        const expected = (pick: (s: (typeof snapshots)[number]) => string) => {
          const h = createAccumulator();
          for (const s of mine) if (pick(s) !== EMPTY_ENCODED) merge(h, decode(pick(s)));
          return h;
        };
        const latency = expected((s) => s.latency);
        const reconcile = expected((s) => s.measures['reconcile']!);
        expect(totals.histograms).toEqual({
          latency: encode(latency),
          serviceTime: encode(expected((s) => s.serviceTime)),
          scheduleLag: encode(expected((s) => s.scheduleLag)),
        });
        expect(totals.latencyMs).toEqual(summarizeMs(latency));
        expect(totals.measures['reconcile']).toEqual({
          summaryMs: summarizeMs(reconcile),
          encoded: encode(reconcile),
        });
      }
    }
    expect(measured.result().totals.map((t) => t.latencyMs.count)).toEqual([600, 600]);
  });
});
