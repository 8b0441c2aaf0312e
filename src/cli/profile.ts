import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { ApfbenchError } from '../errors.js';
import { loadClusterConfig, openClusterClient, type KubeClient } from '../kube/index.js';
import {
  applyProfile,
  assertFlagsApplicable,
  formatActions,
  loadProfileFile,
  planProfile,
  planRestoreNow,
  readSnapshotFile,
  removeSnapshotFile,
  restoreSnapshot,
} from '../profile/index.js';
import { deferred } from './deferred.js';
import { assertOneCluster, clusterSelectionOf } from './options.js';
import { progress } from './output.js';

export const DEFAULT_SNAPSHOT_FILE = '.apfbench/profile-snapshot.json';

const clusterOptions = {
  kubeconfig: {
    type: 'string',
    describe:
      'cluster whose APF configuration to change (default: the one kubectl uses: $KUBECONFIG, ~/.kube/config, in-cluster)',
  },
  context: { type: 'string', describe: 'kubeconfig context' },
  'in-cluster': {
    type: 'boolean',
    default: false,
    describe: "the cluster apfbench runs in, as its pod's ServiceAccount",
  },
  namespace: {
    type: 'string',
    describe: 'not taken: flowcontrol objects belong to no namespace',
  },
  'allow-remote': {
    type: 'boolean',
    default: false,
    describe: 'allow a cluster that is not on loopback',
  },
} as const;

const snapshotOption = {
  snapshot: {
    type: 'string',
    default: DEFAULT_SNAPSHOT_FILE,
    describe: 'where apply keeps what it changed, for restore',
  },
} as const;

interface ClusterArgs {
  kubeconfig: string | undefined;
  context: string | undefined;
  'in-cluster': boolean;
  namespace?: string | undefined;
  'allow-remote': boolean;
}

/**
 * The admin client for the cluster the flags name: `--kubeconfig FILE`, `--in-cluster`, or else
 * (also `--kubeconfig` with no value) the one kubectl would use.
 */
async function withAdmin<T>(argv: ClusterArgs, fn: (admin: KubeClient) => Promise<T>): Promise<T> {
  if (argv.namespace !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_BAD_FLAG',
      '--namespace means nothing to profile commands: PriorityLevelConfigurations and FlowSchemas belong to no namespace',
      { kind: 'invalid-input', hint: 'leave out --namespace' },
    );
  }
  assertOneCluster(argv);
  const selection = clusterSelectionOf(argv) ?? { kind: 'default' };
  const cfg = await loadClusterConfig(selection, {
    context: argv.context,
    allowRemote: argv['allow-remote'],
  });
  const { client, close } = openClusterClient(cfg, 2);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const out = (lines: readonly string[]) =>
  process.stdout.write(lines.length === 0 ? '' : `${lines.join('\n')}\n`);

export function profileCommand(yargs: Argv): Argv {
  return yargs
    .command(
      'validate <file>',
      'check a profile file and report every problem with its location',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      deferred(async (argv) => {
        const p = await loadProfileFile(argv.file);
        out([
          `${argv.file}: valid profile ${p.metadata.name}: ${p.spec.priorityLevels.length} priority level(s), ${p.spec.flowSchemas.length} flow schema(s), ${p.spec.remove.length} removal(s)`,
        ]);
      }),
    )
    .command(
      'diff <file>',
      'show what applying a profile would change (server-side dry-run; changes nothing)',
      (y) => y.positional('file', { type: 'string', demandOption: true }).options(clusterOptions),
      deferred(async (argv) => {
        const profile = await loadProfileFile(argv.file);
        await withAdmin(argv, async (admin) => {
          const plan = await planProfile(admin, profile);
          const lines = formatActions(plan.actions.filter((a) => a.op !== 'unchanged'));
          out(lines.length === 0 ? [`profile ${profile.metadata.name}: nothing to change`] : lines);
        });
      }),
    )
    .command(
      'apply <file>',
      'apply a profile and keep a snapshot of what it changed, for `profile restore`',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .options({ ...clusterOptions, ...snapshotOption }),
      deferred(async (argv) => {
        const profile = await loadProfileFile(argv.file);
        // A cluster reached by kubeconfig was not started by this command: flags cannot be set.
        assertFlagsApplicable(profile, false, argv.file);
        await withAdmin(argv, async (admin) => {
          await mkdir(dirname(argv.snapshot), { recursive: true });
          await applyProfile(admin, profile, { onPhase: progress, snapshotFile: argv.snapshot });
          out([`applied; undo with: apfbench profile restore --snapshot ${argv.snapshot}`]);
        });
      }),
    )
    .command(
      'restore',
      'put the flowcontrol objects changed by `profile apply` back as they were',
      (y) =>
        y.options({
          ...clusterOptions,
          ...snapshotOption,
          'dry-run': { type: 'boolean', default: false, describe: 'only show what would change' },
        }),
      deferred(async (argv) => {
        const snapshot = await readSnapshotFile(argv.snapshot).catch((cause: unknown) => {
          if (cause instanceof ApfbenchError) throw cause;
          throw new ApfbenchError('APFBENCH_NO_SNAPSHOT', `no snapshot in ${argv.snapshot}`, {
            kind: 'invalid-input',
            hint: 'nothing to restore, or pass the --snapshot that `profile apply` used',
            cause,
          });
        });
        await withAdmin(argv, async (admin) => {
          if (admin.transport.target.server !== snapshot.server) {
            throw new ApfbenchError(
              'APFBENCH_SNAPSHOT_SERVER',
              `the snapshot in ${argv.snapshot} was taken on ${snapshot.server}, not ${admin.transport.target.server}`,
              { kind: 'invalid-input' },
            );
          }
          const actions = argv['dry-run']
            ? await planRestoreNow(admin, snapshot)
            : await restoreSnapshot(admin, snapshot);
          const lines = formatActions(actions.filter((a) => a.op !== 'unchanged'));
          out(lines.length === 0 ? ['nothing to restore: every object is as it was'] : lines);
          if (!argv['dry-run']) await removeSnapshotFile(argv.snapshot);
        });
      }),
    )
    .demandCommand(1, 'say which profile command; see apfbench profile --help');
}
