import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { agentRunOptions } from './agent.js';
import { compareHandler } from './compare.js';
import { clusterSelectionOf, scenarioOverrideOptions, targetOptions } from './options.js';

/** The main job for a new user: one command, a few minutes, one report. */
export const DEMO = {
  /** Bundled with the package; resolved against it, not the working directory. */
  scenario: 'scenarios/noisy-neighbor.yaml',
  profiles: ['profiles/k8s-defaults.yaml', 'profiles/isolate-tenants.yaml'],
  victim: 'quiet',
  noisy: 'noisy',
  duration: '30s',
  /** Under the working directory. */
  out: 'results/demo',
  /**
   * The local control plane's size: 20 + 10 seats instead of the default 400 + 200, which a
   * 2-core machine never fills before its CPU is gone, so that APF never queues and both profiles
   * look alike. With 30 seats global-default has 3 and the noisy tenant's own level under
   * isolate-tenants 1 (the README has the arithmetic).
   */
  serverArgs: ['max-requests-inflight=20', 'max-mutating-requests-inflight=10'],
} as const;

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The demo's scenario and profiles in the package `root`, as paths relative to `cwd` when they
 * are below it (how results and reports name them), else absolute.
 */
export function demoFiles(
  root = packageRoot,
  cwd = process.cwd(),
): { scenario: string; profiles: string[] } {
  const shown = (file: string) => {
    const path = relative(cwd, join(root, file));
    return path.startsWith('..') || isAbsolute(path) ? join(root, file) : path;
  };
  return { scenario: shown(DEMO.scenario), profiles: DEMO.profiles.map(shown) };
}

export function demoCommand(y: Argv) {
  return y.options({
    ...scenarioOverrideOptions,
    ...targetOptions,
    ...agentRunOptions,
    duration: { type: 'string', default: DEMO.duration, describe: 'length of each run' },
    out: { type: 'string', default: DEMO.out, describe: 'output directory' },
  });
}

/**
 * `apfbench demo`: compares the defaults with `isolate-tenants` on `noisy-neighbor` on a small
 * local control plane (`--apiserver-arg` flags come after the demo's and win; with
 * `--kubeconfig`, that cluster as it is), and points at the report (`compare` writes it).
 */
export function demoHandler(
  argv: Awaited<ReturnType<ReturnType<typeof demoCommand>['parseAsync']>>,
) {
  const files = demoFiles();
  return compareHandler({
    ...argv,
    scenario: files.scenario,
    profile: files.profiles,
    repeat: 1,
    victim: [DEMO.victim],
    noisy: [DEMO.noisy],
    'apiserver-arg': demoServerArgs(argv),
  });
}

/** The demo's small server for a control plane it starts, then the user's flags (which win). */
export function demoServerArgs(argv: {
  readonly kubeconfig?: string | undefined;
  readonly 'in-cluster'?: boolean;
  readonly 'apiserver-arg': readonly string[];
}): string[] {
  const local =
    clusterSelectionOf({
      kubeconfig: argv.kubeconfig,
      'in-cluster': argv['in-cluster'] ?? false,
    }) === undefined;
  return [...(local ? DEMO.serverArgs : []), ...argv['apiserver-arg']];
}
