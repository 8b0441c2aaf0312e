import type { Argv } from 'yargs';
import { compareHandler } from './compare.js';
import { scenarioOverrideOptions, targetOptions } from './options.js';

/** The main job for a new user: one command, a few minutes, one report. */
export const DEMO = {
  scenario: 'scenarios/noisy-neighbor.yaml',
  profiles: ['profiles/k8s-defaults.yaml', 'profiles/isolate-tenants.yaml'],
  victim: 'quiet',
  noisy: 'noisy',
  duration: '30s',
  out: 'results/demo',
} as const;

export function demoCommand(y: Argv) {
  return y.options({
    ...scenarioOverrideOptions,
    ...targetOptions,
    duration: { type: 'string', default: DEMO.duration, describe: 'length of each run' },
    out: { type: 'string', default: DEMO.out, describe: 'output directory' },
  });
}

/**
 * `apfbench demo`: compares the defaults with `isolate-tenants` on `noisy-neighbor` on a local
 * control plane, and points at the report (`compare` writes it).
 */
export function demoHandler(
  argv: Awaited<ReturnType<ReturnType<typeof demoCommand>['parseAsync']>>,
) {
  return compareHandler({
    ...argv,
    scenario: DEMO.scenario,
    profile: [...DEMO.profiles],
    repeat: 1,
    victim: [DEMO.victim],
    noisy: [DEMO.noisy],
  });
}
