/**
 * What a process cost over a span of time, from readings taken now and then: a cumulative CPU
 * counter and a resident-memory gauge. The API server's come from its `/metrics`
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, read at every scrape), the
 * harness's from `process.cpuUsage()` and `process.memoryUsage.rss()`. Pure: the readings are
 * arguments.
 */
import { round3 } from './format.js';
import { increase } from './server-metrics.js';

/** One reading of a process; a figure the reader did not get is absent. */
export interface ProcessReading {
  /** Wall-clock time of the reading, ms since the epoch. */
  readonly t: number;
  /** CPU the process has used since it began, seconds (user + system, all threads). */
  readonly cpuSeconds?: number | undefined;
  /** Resident memory at `t`, bytes. */
  readonly rssBytes?: number | undefined;
}

/** A span of wall-clock time, ms since the epoch. */
export interface Span {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * CPU-seconds used within `span`, from the readings that have a CPU figure (in time order). The
 * counter is taken to grow evenly between two readings, so a span that ends between two of them
 * gets the share of their increase that falls inside it. A counter that went down was reset (the
 * process restarted) and counts from 0 again (`increase`). Undefined when the readings do not
 * reach from the span's start to its end: what happened outside them is not known.
 */
export function cpuSecondsWithin(
  readings: readonly ProcessReading[],
  span: Span,
): number | undefined {
  const points = readings.flatMap((r) =>
    r.cpuSeconds === undefined ? [] : [{ t: r.t, v: r.cpuSeconds }],
  );
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return undefined;
  if (first.t > span.fromMs || last.t < span.toMs) return undefined;
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const overlap = Math.min(b.t, span.toMs) - Math.max(a.t, span.fromMs);
    if (overlap <= 0) continue;
    const share = b.t > a.t ? overlap / (b.t - a.t) : 1;
    sum += increase(a.v, b.v) * share;
  }
  return round3(sum);
}

/**
 * The largest resident memory the readings saw over `span`: those inside it, and the last one
 * before it and the first one after it, since memory held at either edge was held within it.
 * Undefined when no reading has a memory figure there.
 */
export function peakRssWithin(readings: readonly ProcessReading[], span: Span): number | undefined {
  const withRss = readings.filter((r) => r.rssBytes !== undefined);
  let before = -1;
  let after = withRss.length;
  for (let i = 0; i < withRss.length; i++) {
    if (withRss[i]!.t <= span.fromMs) before = i;
    if (withRss[i]!.t >= span.toMs) {
      after = i;
      break;
    }
  }
  let peak: number | undefined;
  for (let i = Math.max(0, before); i <= Math.min(after, withRss.length - 1); i++) {
    peak = Math.max(peak ?? 0, withRss[i]!.rssBytes!);
  }
  return peak;
}

/** A span from a result's `measuredFrom` and `measuredTo`; undefined when either is missing. */
export function spanOf(r: {
  readonly measuredFrom?: string | undefined;
  readonly measuredTo?: string | undefined;
}): Span | undefined {
  if (r.measuredFrom === undefined || r.measuredTo === undefined) return undefined;
  return { fromMs: Date.parse(r.measuredFrom), toMs: Date.parse(r.measuredTo) };
}
