// A sweep over the listers comparison's real results, built by the sweep's own code: two
// levels per profile (k8s-defaults: runs 01 then 04; tight: runs 02 then 03), judged by a stop
// condition on the reader's p99 that k8s-defaults meets at its first level and tight at neither.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { levelVerdict } from '../../src/check/sweep-verdict.js';
import { runFigures } from '../../src/engine/compare.js';
import { sweepOf } from '../../src/engine/sweep.js';
import { sweepLevels } from '../../src/engine/sweep-plan.js';
import { loadProfileFile } from '../../src/profile/index.js';
import { parseRunResult, type RunResult, type Sweep } from '../../src/result/result.js';

export const LISTERS_RUNS = 'test/fixtures/comparisons/listers/runs';
export const LISTERS_STOP = 'reader.latencyMs.p99 > 2000';

const read = (dir: string): RunResult =>
  parseRunResult({
    source: dir,
    value: JSON.parse(readFileSync(join(LISTERS_RUNS, dir, 'result.json'), 'utf8')),
  });

/** sweep.json (its runs under `runs/<dir>/result.json`) and the result of each of its runs. */
export async function listersSweep(): Promise<{ sweep: Sweep; results: RunResult[] }> {
  const varies = [
    {
      path: 'spec.actors[lister].rate',
      setPath: 'spec.actors[0].rate',
      unit: '/s',
      values: [100, 200],
    },
  ];
  const levels = sweepLevels(varies);
  const byProfile = [
    ['k8s-defaults', ['01-k8s-defaults', '04-k8s-defaults']],
    ['tight', ['02-tight', '03-tight']],
  ] as const;
  const runs: Sweep['runs'] = [];
  const verdicts: Sweep['verdicts'] = [];
  const results: RunResult[] = [];
  for (const [profile, dirs] of byProfile) {
    for (const [level, dir] of dirs.entries()) {
      const r = read(dir);
      const file = join('runs', dir, 'result.json');
      results.push(r);
      runs.push({
        profile,
        level,
        repeat: 0,
        status: r.status,
        result: file,
        figures: runFigures(r),
      });
      const verdict = levelVerdict([{ source: file, profile, result: r }], [LISTERS_STOP], []);
      verdicts.push({ profile, level, ...verdict, reasons: [...verdict.reasons] });
      if (verdict.stopped) break;
    }
  }
  const passes = await Promise.all(
    ['profiles/k8s-defaults.yaml', 'profiles/tight.yaml'].map(async (file) => ({
      file,
      profile: await loadProfileFile(file),
    })),
  );
  const scenario = { metadata: results[0]!.scenario.metadata, spec: {} };
  const sweep = sweepOf(
    { scenario, varies, levels, stops: [LISTERS_STOP] },
    passes,
    { repeat: 1, settleMs: 1000, status: 'completed', reason: undefined },
    runs,
    verdicts,
    [],
  );
  return { sweep, results };
}
