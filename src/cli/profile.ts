import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { ApfbenchError } from '../errors.js';
import { KubeClient, Transport, loadKubeconfig } from '../kube/index.js';
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
import { progress } from './output.js';

export const DEFAULT_SNAPSHOT_FILE = '.apfbench/profile-snapshot.json';

const clusterOptions = {
  kubeconfig: {
    type: 'string',
    describe: 'cluster whose APF configuration to change (default: $KUBECONFIG)',
  },
  context: { type: 'string', describe: 'kubeconfig context' },
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
  kubeconfig?: string | undefined;
  context?: string | undefined;
  'allow-remote': boolean;
}

/** The admin client for the kubeconfig's cluster; close its transport when done. */
async function adminFor(argv: ClusterArgs): Promise<KubeClient> {
  const path = argv.kubeconfig ?? process.env.KUBECONFIG;
  if (path === undefined || path === '') {
    throw new ApfbenchError('APFBENCH_NO_KUBECONFIG', 'say which cluster with --kubeconfig', {
      kind: 'invalid-input',
      hint: 'for a local control plane: `apfbench cluster up`, then --kubeconfig .apfbench/cluster/kubeconfig',
    });
  }
  const cfg = await loadKubeconfig(path, argv.context, { allowRemote: argv['allow-remote'] });
  return new KubeClient(new Transport(cfg.target, { connections: 2 }), cfg.identity);
}

async function withAdmin<T>(argv: ClusterArgs, fn: (admin: KubeClient) => Promise<T>): Promise<T> {
  const admin = await adminFor(argv);
  try {
    return await fn(admin);
  } finally {
    await admin.transport.close();
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
