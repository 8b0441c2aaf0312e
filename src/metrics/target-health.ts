/**
 * Whether the API server answered: the share of a run's sends that got no HTTP response at all
 * (a refused or reset connection, a timeout), as opposed to an answer of any status. A run
 * against a server that was down for part of its window must say so, since its answered
 * requests alone would look faster than ever. Pure: counts come in as arguments.
 */
import { z } from 'zod';
import { ABANDONED_CODES, TRANSPORT_ERROR_PREFIX } from './timeline-snapshot.js';

/**
 * Share of sends that may fail at the transport level before a run counts as degraded: above
 * it the server was unreachable for a significant part of the measured window (a short restart
 * in a 60 s run stays under it; a dead server does not).
 */
export const UNREACHABLE_THRESHOLD = 0.05;

export const targetHealthSchema = z.object({
  /** Requests of the measured window (by intended send time) that started, every group. */
  sent: z.number(),
  /**
   * Requests that got no HTTP response, by `error:<code>`. Requests apfbench itself abandoned
   * when the drain ran out are not the server's doing and are left out.
   */
  transportErrors: z.number(),
  byCode: z.record(z.string(), z.number()),
  /** transportErrors ÷ sent; 0 when nothing was sent. */
  ratio: z.number(),
  threshold: z.number(),
  /** ratio > threshold: the run is `degraded`. */
  unreachable: z.boolean(),
  /** First and last timeline second with a transport error, when there was one. */
  firstErrorT: z.number().optional(),
  lastErrorT: z.number().optional(),
});
export type TargetHealth = z.infer<typeof targetHealthSchema>;

interface Counts {
  readonly sent: number;
  readonly byCode: Readonly<Record<string, number>>;
}

interface Row {
  readonly t: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
}

const isServerless = (code: string) =>
  code.startsWith(TRANSPORT_ERROR_PREFIX) && !ABANDONED_CODES.includes(code);

/** The target's health over the measured window's group totals and the timeline's rows. */
export function targetHealth(
  groups: readonly Counts[],
  rows: readonly Row[],
  threshold = UNREACHABLE_THRESHOLD,
): TargetHealth {
  let sent = 0;
  const byCode: Record<string, number> = {};
  for (const g of groups) {
    sent += g.sent;
    for (const [code, n] of Object.entries(g.byCode)) {
      if (isServerless(code)) byCode[code] = (byCode[code] ?? 0) + n;
    }
  }
  const transportErrors = Object.values(byCode).reduce((a, b) => a + b, 0);
  const ratio = sent === 0 ? 0 : transportErrors / sent;
  const errorTs = rows
    .filter((r) => Object.keys(r.errorsByCode).some(isServerless))
    .map((r) => r.t);
  return {
    sent,
    transportErrors,
    byCode,
    ratio,
    threshold,
    unreachable: ratio > threshold,
    ...(errorTs.length === 0
      ? {}
      : { firstErrorT: Math.min(...errorTs), lastErrorT: Math.max(...errorTs) }),
  };
}

/** One line for a status reason or a verdict: "312 of 2,813 sends (11.1 %) got no HTTP response (...)". */
export function describeUnreachable(h: TargetHealth): string {
  const codes = Object.entries(h.byCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code.slice(TRANSPORT_ERROR_PREFIX.length)}: ${n}`)
    .join(', ');
  const when =
    h.firstErrorT === undefined ? '' : `, from t=${h.firstErrorT}s to t=${h.lastErrorT}s`;
  return `${h.transportErrors} of ${h.sent} sends (${(h.ratio * 100).toFixed(1)} %) got no HTTP response (${codes})${when}: the API server was unreachable for part of the run`;
}
