import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { comparisonTable } from '../../../src/cli/compare.js';
import { measuredMs, runFigures, summarise, type Comparison } from '../../../src/engine/compare.js';
import { groupRows } from '../../../src/report/model.js';
import type { RunResult } from '../../../src/result/result.js';

it('summarises repeated runs per profile against the baseline and prints them side by side', () => {
  const runs = [
    { profile: 'a', status: 'completed', figures: { 't.429s': 0, 't.p99 ms': 10, same: 1 } },
    { profile: 'b', status: 'completed', figures: { 't.429s': 100, 't.p99 ms': 30, same: 1 } },
    { profile: 'b', status: 'completed', figures: { 't.429s': 120, 't.p99 ms': 20, same: 1 } },
    { profile: 'a', status: 'completed', figures: { 't.429s': 0, 't.p99 ms': 12, same: 1 } },
  ] as const;
  const summary = summarise(['a', 'b'], runs);
  expect(summary.baseline).toBe('a');
  const throttled = summary.figures.find((f) => f.figure === 't.429s')!;
  expect(throttled.byProfile.b).toMatchObject({ n: 2, mean: 110 });
  // Two runs a side with no spread in a: one degree of freedom, t = 12.7: not significant.
  expect(throttled.differences.b).toMatchObject({ diff: 110, relative: null, significant: false });
  const comparison = {
    scenario: 's',
    status: 'completed',
    repeat: 2,
    order: ['a', 'b', 'b', 'a'],
    runs,
    profiles: [{ name: 'a' }, { name: 'b' }],
    summary,
  } as unknown as Comparison;
  const table = comparisonTable(comparison);
  expect(table[0]).toBe('s: completed, 4 run(s), order a b b a');
  expect(table[1]).toMatch(/^figure\s+a \(baseline\)\s+b$/);
  expect(table.some((l) => l.startsWith('same'))).toBe(false);
  expect(table.find((l) => l.startsWith('t.429s'))).toBe(
    't.429s    0 ±0          110 ±14.14 (+110 [-17.06, +237])',
  );
});

it('counts other errors as the verdicts do: not abandoned requests, 429s or 409s', async () => {
  const file = 'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json';
  const result = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  const lister = result.actors.lister!;
  const cut = {
    ...result,
    actors: {
      ...result.actors,
      lister: {
        ...lister,
        requests: {
          ...lister.requests,
          errors: 15,
          byCode: { '200': 785, '409': 1, '429': 2, '500': 2, 'error:ERR_POOL_DESTROYED': 10 },
        },
      },
    },
  };
  const figures = runFigures(cut);
  expect(figures['lister.other errors']).toBe(2);
  expect(figures['lister.429s']).toBe(lister.requests.throttled);
  expect(figures['lister.409s']).toBe(1);
  expect(figures['lister.abandoned']).toBe(10);
  expect(figures['reader.abandoned']).toBe(0);
  expect(figures).not.toHaveProperty('lister.errors');
  // Neither an error nor an answer: abandoned requests are not among the 2xx per second.
  // The fixture measured 4 s: 800 requests, 15 not 2xx.
  expect(figures['lister.ok/s']).toBe((800 - 15) / 4);
});

it("leaves a kubelet's expected Lease 404s out of its other errors, as the summary table does", async () => {
  const file = 'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json';
  const result = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  const requests = {
    ...result.actors.lister!.requests,
    total: 400,
    errors: 3,
    byCode: { '200': 397, '404': 3 },
    byKey: { 'get leases 404': 3, 'get leases 200': 97, 'update leases 200': 300 },
  };
  const withKubelets = {
    ...result,
    actors: { kubelets: { type: 'kubelet', count: 3, requests } },
  } as unknown as RunResult;
  const figures = runFigures(withKubelets);
  expect(figures['kubelets.other errors']).toBe(0);
  const group = groupRows('run', withKubelets)[0]!;
  expect(group.otherErrors).toBe(figures['kubelets.other errors']);
  // A 404 it did not expect is one.
  const unexpected = {
    ...withKubelets,
    actors: {
      kubelets: {
        ...withKubelets.actors.kubelets!,
        requests: { ...requests, byCode: { '200': 396, '404': 4 } },
      },
    },
  } as unknown as RunResult;
  expect(runFigures(unexpected)['kubelets.other errors']).toBe(1);
});

it('leaves an aborted or failed run out of the samples and differences', () => {
  const summary = summarise(
    ['a', 'b'],
    [
      { profile: 'a', status: 'completed', figures: { 't.ok/s': 100 } },
      { profile: 'b', status: 'completed', figures: { 't.ok/s': 90 } },
      // Ctrl-C 2 s into a 30 s run: its few requests would read as a collapse of throughput.
      { profile: 'a', status: 'aborted', figures: { 't.ok/s': 7 } },
      { profile: 'b', status: 'failed', figures: { 't.ok/s': 3 } },
    ],
  );
  const ok = summary.figures.find((f) => f.figure === 't.ok/s')!;
  expect(ok.byProfile.a).toMatchObject({ n: 1, mean: 100 });
  expect(ok.byProfile.b).toMatchObject({ n: 1, mean: 90 });
});

it('divides rates by the time the measured window really ran', async () => {
  const file = 'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json';
  const result = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  const configured = runFigures(result);
  // The same counts over a window that an abort cut to a quarter of its configured length.
  const measured = result.scenario.spec.duration - result.scenario.spec.warmup;
  const from = Date.parse('2026-12-02T10:00:00.000Z');
  const cut = {
    ...result,
    measuredFrom: new Date(from).toISOString(),
    measuredTo: new Date(from + measured / 4).toISOString(),
  };
  expect(measuredMs(result)).toBe(measured);
  expect(measuredMs(cut)).toBe(measured / 4);
  expect(runFigures(cut)['reader.ok/s']).toBeCloseTo(4 * configured['reader.ok/s']!, 1);
});

it("sets the server's CPU and peak RSS beside the latencies, when the result has them", async () => {
  const file = 'test/fixtures/comparisons/listers/runs/01-k8s-defaults/result.json';
  const result = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  expect(runFigures(result)).not.toHaveProperty('server.cpu s');
  const figures = runFigures({
    ...result,
    server: { ...result.server!, cpuSeconds: 12.34567, peakRssBytes: 300 * 2 ** 20 },
  });
  expect(figures['server.cpu s']).toBe(12.346);
  expect(figures['server.peak RSS MiB']).toBe(300);
  expect(figures['lister.p99 ms']).toBe(result.actors.lister!.requests.latencyMs.p99);
});
