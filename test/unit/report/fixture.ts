import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRunResult, type RunResult } from '../../../src/result/result.js';

/** A real result of `apfbench run scenarios/tenant-smoke.yaml --duration 5s`. */
export const fixturePath = new URL('../../fixtures/results/tenant-smoke.json', import.meta.url);

export function loadFixture(): RunResult {
  const text = readFileSync(fixturePath, 'utf8');
  return parseRunResult({ source: fileURLToPath(fixturePath), text, value: JSON.parse(text) });
}

type Sections = Partial<Pick<RunResult, 'server' | 'fairness'>>;

/** A server section with only `series` to speak of. */
export function serverWith(
  series: {
    t: number;
    priorityLevels: Record<string, { executingSeats: number; inqueueRequests: number }>;
  }[],
): NonNullable<Sections['server']> {
  const point = (p: (typeof series)[number]) => ({
    t: p.t,
    priorityLevels: Object.fromEntries(
      Object.entries(p.priorityLevels).map(([pl, v]) => [
        pl,
        { ...v, dispatchedTotal: 0, rejectedTotal: 0 },
      ]),
    ),
  });
  return {
    intervalMs: 1000,
    scrapes: { ok: series.length, failed: 0 },
    flowControl: {},
    series: series.map(point),
    requestsByCode: {},
    requestsByVerbResourceCode: {},
    crossCheck: {
      flowSchemas: [],
      client429: 0,
      serverRejected: 0,
      server429: 0,
      agree: true,
      byFlowSchema: {},
    },
  };
}

/** A fairness section of the given Jain's indices and victim/noisy pairs. */
export function fairnessWith(
  jain: Record<string, { jainIndex: number; flows: number }>,
  pairs: { victim: string; noisy: string }[] = [],
): NonNullable<Sections['fairness']> {
  return {
    method: 'test',
    priorityLevels: Object.fromEntries(
      Object.entries(jain).map(([pl, j]) => [pl, { ...j, groups: {} }]),
    ),
    latencyRatios: pairs.map((p) => ({ ...p, p50: null, p99: null })),
  };
}
