/** Figures in sentences that the metrics layer writes (judgement reasons), rounded alike. */

/** `850 ms`, `12.8 s`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${round3(ms / 1000)} s` : `${round3(ms)} ms`;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
