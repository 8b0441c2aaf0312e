import { expect, it } from 'vitest';
import type { Progress } from '../../../src/engine/coordinator.js';
import { formatProgress, progressPrinter } from '../../../src/cli/progress.js';

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
  groups: [],
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

it("counts errors as the report's verdicts do: not a kubelet's expected Lease 404, 429s or 409s", () => {
  // A warm-up: every kubelet looks its Lease up before creating it (404, by design).
  const line = formatProgress({
    ...at(3000),
    errors: 230,
    throttled: 4,
    groups: [
      {
        group: 'kubelets',
        type: 'kubelet',
        byCode: { '200': 180, '201': 200, '404': 200 },
        byKey: { 'get leases 404': 200, 'create leases 201': 200, 'update leases 200': 180 },
      },
      {
        group: 'controllers',
        type: 'controller',
        byCode: { '200': 90, '409': 20 },
        byKey: { 'get configmaps 200': 90, 'update configmaps 409': 20 },
      },
      {
        group: 'tenant',
        type: 'tenant',
        byCode: { '200': 50, '404': 1, '429': 4, '500': 2, 'error:ECONNRESET': 3 },
        byKey: { 'get configmaps 404': 1 },
      },
    ],
  });
  expect(line).toContain('  errors 6  429s 4  ');
});
