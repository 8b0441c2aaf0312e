import { describeLagCause } from '../metrics/lag-cause.js';
import { harnessCostOf, type RunResult } from '../result/result.js';

/**
 * The console's closing lines: per group throughput and latency, the generator's verdict, then
 * each group that did not offer its intended load (dropped at its in-flight cap) and why.
 */
export function summaryLines(r: RunResult): string[] {
  const seconds = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  const lines = [
    `${r.scenario.metadata.name}: ${r.status} in ${seconds.toFixed(1)}s against ${r.target.serverVersion} (${r.target.local ? 'local' : r.target.server})`,
  ];
  for (const [name, g] of Object.entries(r.actors)) {
    const q = g.requests;
    const codes = Object.entries(q.byCode)
      .map(([c, n]) => `${c}:${n}`)
      .join(' ');
    lines.push(
      `  ${name}: ${q.total} requests (${codes || 'none'}), dropped ${q.dropped}, 429s ${q.throttled}; ` +
        `latency p50 ${q.latencyMs.p50} ms p99 ${q.latencyMs.p99} ms max ${q.latencyMs.max} ms`,
    );
  }
  const gen = r.generator;
  const why =
    gen.lagCause === undefined ? '' : ` — ${describeLagCause(gen.lagCause, gen.lagEvidence)}`;
  lines.push(
    gen.saturated
      ? `  generator SATURATED: ${gen.reasons.join('; ')} — latency figures include the generator's own delay${why}`
      : gen.lagCause === 'host'
        ? `  host BUSY: ${gen.reasons.join('; ')}${why} — latency figures include that wait`
        : gen.lagCause === 'server'
          ? `  generator healthy, sends late after the server stalled: ${gen.reasons.join('; ')}${why}`
          : `  generator healthy: event-loop delay p99 ${gen.eventLoopDelayMs.p99} ms, utilisation ${gen.utilization}, schedule lag p99 ${gen.scheduleLagMs.p99} ms`,
  );
  const cost = harnessCostOf(r);
  if (cost !== undefined) {
    const warn = cost.costly || cost.contended || cost.stalled;
    lines.push(`  ${warn ? 'harness WARNING: ' : ''}${cost.text}`);
  }
  for (const reason of gen.cappedReasons ?? [])
    lines.push(`  intended load NOT OFFERED by ${reason}`);
  if (r.cleanup.errors.length > 0) lines.push(`  cleanup problems: ${r.cleanup.errors.join('; ')}`);
  return lines;
}
