import type { Argv } from 'yargs';
import { planRun, workerCount } from '../engine/plan.js';
import { loadScenarioFile } from '../actors/scenario.js';
import { scenarioOverrideOptions, scenarioOverridesOf, targetOptions } from './options.js';
import { planJson, planTable } from './plan.js';

export function validateCommand(y: Argv) {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
    .options({
      ...scenarioOverrideOptions,
      plan: {
        type: 'boolean',
        default: false,
        describe:
          'also print the run plan: instances per worker, expected requests, connections, fixtures',
      },
      json: { type: 'boolean', default: false, describe: 'with --plan: the plan as JSON' },
      workers: {
        ...targetOptions.workers,
        describe: `with --plan: ${targetOptions.workers.describe}`,
      },
    });
}

/** Validation alone: exit 0 and a one-line summary (and the plan), or exit 2 with every problem. */
export async function validateHandler(
  argv: Awaited<ReturnType<ReturnType<typeof validateCommand>['parseAsync']>>,
) {
  const s = await loadScenarioFile(argv.file, scenarioOverridesOf(argv));
  const plan = argv.plan ? planRun(s, workerCount(s, argv.workers)) : undefined;
  if (plan !== undefined && argv.json) {
    process.stdout.write(`${JSON.stringify(planJson(plan), null, 2)}\n`);
    return;
  }
  const instances = s.spec.actors.reduce((n, g) => n + g.count, 0);
  process.stdout.write(
    `${argv.file}: valid scenario ${s.metadata.name}: ${s.spec.actors.length} actor group(s), ${instances} instance(s), ${s.spec.duration / 1000}s\n`,
  );
  if (plan !== undefined) process.stdout.write(`${planTable(plan).join('\n')}\n`);
}
