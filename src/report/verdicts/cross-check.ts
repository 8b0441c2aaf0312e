/**
 * The cross-check of apfbench's 429s against the server's APF rejections, where they differ:
 * how many each side counted and where the difference comes from. A difference that is fully
 * explained (requests apfbench abandoned before the server's 429 came, responses in flight at
 * the end) is fine; only an unexplained remainder fails.
 */
import { explainedCrossCheck } from '../../metrics/server-section.js';
import type { RunResult } from '../../result/result.js';
import type { CrossCheckRow, VerdictLevel } from '../model.js';
import { runtime } from '../runtime.js';

const { formatCount } = runtime;

export const CROSS_CHECK_TITLE = 'Cross-check with the server';

/** The run's cross-check row when its client and server counts differ. */
export function crossCheckRows(run: string, r: RunResult): CrossCheckRow[] {
  const cc = r.server === undefined ? undefined : explainedCrossCheck({ ...r, server: r.server });
  if (cc?.difference === undefined || cc.client429 === cc.serverRejected) return [];
  return [
    {
      run,
      client429: cc.client429,
      serverRejected: cc.serverRejected,
      clientUnanswered: cc.clientUnanswered ?? 0,
      ...cc.difference,
    },
  ];
}

/** Unexplained 429s fail; an explained difference is fine. */
export function crossCheckLevel(row: CrossCheckRow): VerdictLevel {
  return row.other > 0 ? 'bad' : 'ok';
}

/** "the server rejected 545 …, apfbench received 405 429s; of the 140 more …: …". */
export function describeCrossCheck(row: CrossCheckRow): string {
  const more = Math.abs(row.serverRejected - row.client429);
  const side = row.serverRejected > row.client429 ? 'rejections on the server' : '429s at apfbench';
  const parts = [
    ...(row.abandoned > 0
      ? [
          `${formatCount(row.abandoned)} abandoned by apfbench before the server's 429 came (${formatCount(row.clientUnanswered)} of its requests got no answer: the drain ran out or the client timed out)`,
        ]
      : []),
    ...(row.inFlightAtEnd > 0 ? [`${formatCount(row.inFlightAtEnd)} in flight at the end`] : []),
    ...(row.other > 0 ? [`${formatCount(row.other)} unexplained`] : []),
  ];
  return `the server rejected ${formatCount(row.serverRejected)} requests in apfbench's flow schemas and apfbench received ${formatCount(row.client429)} 429s; of the ${formatCount(more)} more ${side}: ${parts.join(', ')}`;
}
