import { expect, it } from 'vitest';
import type { Progress } from '../../../src/engine/coordinator.js';
import { progressPrinter } from '../../../src/cli/progress.js';

const at = (elapsedMs: number): Progress => ({
  elapsedMs,
  durationMs: 30_000,
  sent: elapsedMs / 10,
  completed: elapsedMs / 10,
  errors: 0,
  throttled: 0,
  dropped: 0,
  rps: 100,
  p99Ms: 1,
});

it('prints a plain line every 5 s without a terminal, again from the start of each run', () => {
  const lines: string[] = [];
  const stream = {
    isTTY: false,
    write: (s: string) => lines.push(s),
  } as unknown as NodeJS.WriteStream;
  const printer = progressPrinter({ quiet: false, stream });
  for (const run of [1, 2]) {
    printer.onPhase(`run ${run}`);
    for (let ms = 1000; ms <= 30_000; ms += 1000) printer.onProgress(at(ms));
  }
  const elapsed = lines.map((l) => l.split(' ')[0]!.trim());
  const oneRun = ['1s/30s', '6s/30s', '11s/30s', '16s/30s', '21s/30s', '26s/30s', '30s/30s'];
  expect(elapsed).toEqual(['run', ...oneRun, 'run', ...oneRun]);
});
