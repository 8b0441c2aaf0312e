import type { Progress } from '../engine/coordinator.js';
import { otherErrorsOf } from '../report/model.js';

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * Error responses so far as the report's verdicts count them: not 429s (shown apart) or 409s,
 * nor the ones an actor expects (a kubelet's lookup of a Lease it has yet to create).
 */
export function progressErrors(p: Progress): number {
  return p.groups.reduce((n, g) => n + otherErrorsOf(g.type, g), 0);
}

export function formatProgress(p: Progress): string {
  return [
    `${secs(p.elapsedMs)}/${secs(p.durationMs)}`,
    `${p.rps.toFixed(0)} req/s`,
    `sent ${p.sent}`,
    `errors ${progressErrors(p)}`,
    `429s ${p.throttled}`,
    ...(p.dropped > 0 ? [`dropped ${p.dropped}`] : []),
    `p99 ${p.p99Ms.toFixed(1)} ms`,
  ].join('  ');
}

/**
 * Progress as a person wants it: one live line on a terminal, a plain line
 * every `everyMs` otherwise (CI logs), nothing when quiet.
 */
export function progressPrinter(opts: {
  quiet: boolean;
  stream?: NodeJS.WriteStream;
  everyMs?: number;
}): { onProgress: (p: Progress) => void; onPhase: (line: string) => void; done: () => void } {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { onProgress: () => {}, onPhase: () => {}, done: () => {} };
  const tty = stream.isTTY === true;
  let live = false;
  let lastPrinted = -Infinity;
  const every = opts.everyMs ?? 5000;
  const endLive = () => {
    if (live) stream.write('\n');
    live = false;
  };
  return {
    onPhase: (line) => {
      endLive();
      stream.write(`${line}\n`);
    },
    onProgress: (p) => {
      if (tty) {
        stream.write(`\r\x1b[2K${formatProgress(p)}`);
        live = true;
      } else {
        // Elapsed time going back means the next run of a comparison started.
        if (p.elapsedMs < lastPrinted) lastPrinted = -Infinity;
        if (!(p.elapsedMs - lastPrinted >= every || p.elapsedMs >= p.durationMs)) return;
        lastPrinted = p.elapsedMs;
        stream.write(`${formatProgress(p)}\n`);
      }
    },
    done: endLive,
  };
}
