// Latencies drawn from a distribution: how long a webhook apfbench hosts takes to answer.
import { formatDuration } from '../validation/units.js';
import type { Rng } from './random.js';

/** A distribution of durations in ms, as spec.webhooks[].latency parses to. */
export type LatencyDistribution =
  | { readonly distribution: 'constant'; readonly value: number }
  | { readonly distribution: 'uniform'; readonly min: number; readonly max: number }
  | { readonly distribution: 'exponential'; readonly mean: number };

/** One draw from `d`, in ms; never negative. */
export function sampleLatency(d: LatencyDistribution, rng: Rng): number {
  switch (d.distribution) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min + rng.next() * (d.max - d.min);
    case 'exponential':
      return d.mean === 0 ? 0 : rng.exp(d.mean);
  }
}

/** `2s`, `uniform 1s–3s`, `exponential, mean 2s`: the distribution as the report names it. */
export function describeLatency(d: LatencyDistribution): string {
  switch (d.distribution) {
    case 'constant':
      return formatDuration(d.value);
    case 'uniform':
      return `uniform ${formatDuration(d.min)}–${formatDuration(d.max)}`;
    case 'exponential':
      return `exponential, mean ${formatDuration(d.mean)}`;
  }
}
