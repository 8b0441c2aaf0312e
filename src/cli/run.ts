import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { runScenario } from '../engine/coordinator.js';
import { openTarget } from '../engine/target.js';
import { ApfbenchError } from '../errors.js';
import type { RunResult } from '../report/result.js';
import { loadScenarioFile } from '../scenario/index.js';
import { checkOutputOptions, prepareRunCheck } from './check.js';
import { interruptible } from './interrupt.js';
import { progressPrinter } from './progress.js';
import { summaryLines } from './summary.js';

export const scenarioOverrideOptions = {
  duration: { type: 'string', describe: 'override spec.duration, e.g. 10s' },
  set: {
    type: 'string',
    array: true,
    default: [] as string[],
    describe: 'override a field: path=value, e.g. spec.actors[0].rate=50/s',
  },
} as const;

export function runCommand(y: Argv) {
  return y
    .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
    .options({
      ...scenarioOverrideOptions,
      kubeconfig: {
        type: 'string',
        describe: 'cluster to load; default: an ephemeral local control plane',
      },
      context: { type: 'string', describe: 'kubeconfig context' },
      identities: {
        type: 'string',
        describe: 'identities file with per-user tokens (default: next to the kubeconfig)',
      },
      'allow-remote': {
        type: 'boolean',
        default: false,
        describe: 'allow load on a target that is not loopback',
      },
      out: {
        type: 'string',
        describe: 'output directory (default results/<timestamp>-<scenario>)',
      },
      workers: {
        type: 'number',
        describe: 'worker threads (default: scenario, else half the cores, at most 4)',
      },
      quiet: { type: 'boolean', default: false, describe: 'no progress output' },
      'apiserver-bin': {
        type: 'string',
        describe: 'kube-apiserver binary for the local control plane',
      },
      'etcd-bin': { type: 'string', describe: 'etcd binary for the local control plane' },
      check: {
        type: 'boolean',
        default: false,
        describe:
          'after the run, check budgets (spec.budgets or --budget); exit 3 if one is broken',
      },
      ...checkOutputOptions,
    });
}

type RunArgs = Awaited<ReturnType<ReturnType<typeof runCommand>['parseAsync']>>;

export function defaultOutDir(scenarioName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join('results', `${stamp}-${scenarioName}`);
}

/**
 * `apfbench run`: Ctrl-C (SIGINT) or SIGTERM stops the load, drains, deletes
 * the run's objects and still writes result.json, then exits 130.
 */
export async function runHandler(argv: RunArgs): Promise<number> {
  const scenario = await loadScenarioFile(argv.scenario, {
    ...(argv.duration === undefined ? {} : { duration: argv.duration }),
    set: argv.set,
  });
  const out = argv.out ?? defaultOutDir(scenario.metadata.name);
  const check = argv.check
    ? await prepareRunCheck(scenario, {
        baselines: argv.baseline,
        budget: argv.budget,
        junit: argv.junit,
        summary: argv.summary,
      })
    : undefined;
  const printer = progressPrinter({ quiet: argv.quiet });
  const abort = interruptible(printer.onPhase);
  let result: RunResult;
  try {
    if (argv.kubeconfig === undefined) printer.onPhase('starting an ephemeral local control plane');
    const target = await openTarget(scenario, {
      kubeconfig: argv.kubeconfig,
      context: argv.context,
      identitiesFile: argv.identities,
      allowRemote: argv['allow-remote'],
      apiserverBin: argv['apiserver-bin'],
      etcdBin: argv['etcd-bin'],
      onProgress: printer.onPhase,
    });
    try {
      result = await runScenario(scenario, target.run, {
        signal: abort.signal,
        workers: argv.workers,
        onProgress: printer.onProgress,
        onPhase: printer.onPhase,
      });
    } finally {
      printer.done();
      await target.close();
    }
  } finally {
    abort.dispose();
  }
  await mkdir(out, { recursive: true });
  const file = join(out, 'result.json');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${summaryLines(result).join('\n')}\nresult: ${file}\n`);
  if (result.status === 'aborted') return 130;
  if (result.status === 'failed') {
    throw new ApfbenchError(
      'APFBENCH_RUN_FAILED',
      `run failed: ${result.reason ?? 'unknown reason'} (partial result in ${file})`,
    );
  }
  return check === undefined ? 0 : check(file);
}
