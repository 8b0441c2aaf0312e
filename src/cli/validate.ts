import type { Argv } from 'yargs';
import { loadScenarioFile } from '../scenario/index.js';
import { scenarioOverrideOptions, scenarioOverridesOf } from './options.js';

export function validateCommand(y: Argv) {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'scenario file' })
    .options(scenarioOverrideOptions);
}

/** Validation alone: exit 0 and a one-line summary, or exit 2 with every problem. */
export async function validateHandler(
  argv: Awaited<ReturnType<ReturnType<typeof validateCommand>['parseAsync']>>,
) {
  const s = await loadScenarioFile(argv.file, scenarioOverridesOf(argv));
  const instances = s.spec.actors.reduce((n, g) => n + g.count, 0);
  process.stdout.write(
    `${argv.file}: valid scenario ${s.metadata.name}: ${s.spec.actors.length} actor group(s), ${instances} instance(s), ${s.spec.duration / 1000}s\n`,
  );
}
