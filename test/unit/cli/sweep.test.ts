import { expect, it } from 'vitest';
import { loadScenarioFile } from '../../../src/actors/scenario.js';
import { planLines } from '../../../src/cli/sweep.js';
import { levelScenario } from '../../../src/engine/sweep.js';
import { parseVary, sweepLevels } from '../../../src/engine/sweep-plan.js';
import { loadProfileFile } from '../../../src/profile/index.js';

it('prints the plan of a sweep: its levels, profiles, stop conditions and expected wall time', async () => {
  const source = {
    file: 'scenarios/noisy-neighbor.yaml',
    overrides: { duration: '20s', set: ['spec.warmup=5s'] },
  };
  const scenario = await loadScenarioFile(source.file, source.overrides);
  const varies = [parseVary('spec.actors[noisy].rate=20/s..140/s', { steps: 5 }, scenario)];
  const levels = sweepLevels(varies);
  const levelScenarios = await Promise.all(levels.map((l) => levelScenario(source, l.sets)));
  // Each level's scenario is the file with the command's overrides, then the level's value.
  expect(levelScenarios.map((s) => s.spec.actors[3]!)).toMatchObject(
    [20, 50, 80, 110, 140].map((rate) => ({ name: 'noisy', rate })),
  );
  expect(levelScenarios[0]!.spec.duration).toBe(20_000);
  const profiles = await Promise.all(
    ['profiles/k8s-defaults.yaml', 'profiles/isolate-tenants.yaml'].map(async (file) => ({
      file,
      profile: await loadProfileFile(file),
    })),
  );
  const plan = {
    source,
    scenario,
    varies,
    levels,
    levelScenarios,
    profiles,
    stops: ['kubelets.heartbeats.late > 0'],
  };
  expect(planLines(plan, { repeat: 1, settleMs: 5_000, local: true })).toEqual([
    'sweep plan: noisy-neighbor, 5 level(s) × 2 profile(s) = 10 run(s)',
    '  vary spec.actors[noisy].rate (spec.actors[3].rate): 20/s 50/s 80/s 110/s 140/s',
    '  profiles: k8s-defaults (profiles/k8s-defaults.yaml), isolate-tenants (profiles/isolate-tenants.yaml)',
    '  each level: 20s (warm-up 5s), 3000 fixture object(s); 5s settle between levels; a local control plane per profile',
    '  stop a row when: kubelets.heartbeats.late > 0',
    // 2 × (5 × (20 s + 2 s drain + 4 s profile + 2 × 3000 / 250 s fixtures) + 4 × 5 s + 8 s)
    'expected wall time: about 9m16s (less when a stop condition ends a row early)',
  ]);
  expect(
    planLines({ ...plan, profiles: [] }, { repeat: 3, settleMs: 5_000, local: false })[0],
  ).toBe('sweep plan: noisy-neighbor, 5 level(s) × 1 profile(s) × 3 repeats = 15 run(s)');
});
