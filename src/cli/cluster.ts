import { tmpdir } from 'node:os';
import type { Argv } from 'yargs';
import {
  buildControlPlane,
  localClusterStatus,
  scanRunDirs,
  startLocalCluster,
  stopLocalCluster,
} from '../cluster/index.js';
import { checkServerFlag } from '../profile/index.js';
import { auditPolicyOptions } from './options.js';
import { runDirLines } from './cluster-status.js';
import { deferred } from './deferred.js';
import { interruptible } from './interrupt.js';
import { kindOptions, kindUpHandler } from './kind.js';
import { integerFlag, positiveInteger } from './options.js';
import { progress } from './output.js';
import { progressPrinter } from './progress.js';

const dirOption = {
  dir: {
    type: 'string',
    default: '.apfbench/cluster',
    describe: 'where the control plane keeps its data',
  },
} as const;

const READY_TIMEOUT_SECONDS = 180;
/** Identities of one kind in the token file: each is a line and a bootstrap grant. */
const MAX_IDENTITIES = 100_000;

const binOptions = {
  'apiserver-bin': {
    type: 'string',
    describe: 'use this kube-apiserver binary instead of building one',
  },
  'etcd-bin': { type: 'string', describe: 'use this etcd binary instead of building one' },
} as const;

export function clusterCommand(yargs: Argv): Argv {
  return yargs
    .command(
      'up',
      'start etcd and kube-apiserver on loopback and leave them running',
      (y) =>
        y.options({
          ...dirOption,
          ...binOptions,
          nodes: {
            type: 'number',
            default: 2000,
            describe: 'node identities (system:node:<name>) in the token file',
            coerce: integerFlag('nodes', 0, MAX_IDENTITIES),
          },
          tenants: {
            type: 'number',
            default: 100,
            describe: 'tenant user identities',
            coerce: integerFlag('tenants', 0, MAX_IDENTITIES),
          },
          'service-accounts': {
            type: 'number',
            default: 100,
            describe: 'service-account identities',
            coerce: integerFlag('service-accounts', 0, MAX_IDENTITIES),
          },
          'max-requests-inflight': {
            type: 'number',
            describe: 'kube-apiserver --max-requests-inflight',
            coerce: positiveInteger('max-requests-inflight'),
          },
          'max-mutating-requests-inflight': {
            type: 'number',
            describe: 'kube-apiserver --max-mutating-requests-inflight',
            coerce: positiveInteger('max-mutating-requests-inflight'),
          },
          'apiserver-arg': {
            type: 'string',
            array: true,
            default: [] as string[],
            describe: 'extra kube-apiserver flag, key=value (repeatable)',
            coerce: (values: readonly string[]) => values.map(checkServerFlag),
          },
          ...auditPolicyOptions,
          'audit-log': {
            type: 'string',
            describe: 'with --audit-policy: where the audit log goes (default DIR/audit/audit.log)',
          },
          port: {
            type: 'number',
            describe: 'kube-apiserver secure port (default: a free one)',
            coerce: positiveInteger('port', 65535),
          },
          'ready-timeout': {
            type: 'number',
            default: READY_TIMEOUT_SECONDS,
            describe: 'seconds to wait for /readyz',
            coerce: integerFlag('ready-timeout', 1),
          },
          ...kindOptions,
        }),
      deferred(async (argv) => {
        if (argv.provider === 'kind') return kindUpHandler(argv);
        const started = Date.now();
        // Ctrl-C before it is ready stops what it started and removes --dir (exit 130).
        const abort = interruptible(progress, 'stopping the control plane it started');
        const cluster = await startLocalCluster({
          dir: argv.dir,
          detached: true,
          apiserverBin: argv['apiserver-bin'],
          etcdBin: argv['etcd-bin'],
          identities: {
            nodes: argv.nodes,
            tenants: argv.tenants,
            serviceAccounts: argv['service-accounts'],
          },
          maxRequestsInflight: argv['max-requests-inflight'],
          maxMutatingRequestsInflight: argv['max-mutating-requests-inflight'],
          apiserverArgs: argv['apiserver-arg'],
          auditPolicy: argv['audit-policy'],
          auditLogPath: argv['audit-log'],
          port: argv.port,
          readyTimeoutMs: argv['ready-timeout'] * 1000,
          onProgress: progress,
          signal: abort.signal,
        }).finally(abort.dispose);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(
          [
            `control plane ready at ${cluster.target.server} (${secs}s)`,
            `  kubeconfig (admin):  ${cluster.kubeconfigPath}`,
            `  load identities:     ${cluster.identitiesPath} (${cluster.identities.nodes.length} nodes, ${cluster.identities.tenants.length} tenants, ${cluster.identities.serviceAccounts.length} service accounts)`,
            `  logs:                ${cluster.dir}/etcd.log, ${cluster.dir}/kube-apiserver.log`,
            ...(cluster.auditLog === undefined
              ? []
              : [`  audit log:           ${cluster.auditLog}`]),
            '',
            `  kubectl --kubeconfig ${cluster.kubeconfigPath} get prioritylevelconfigurations`,
            `  apfbench run SCENARIO --kubeconfig ${cluster.kubeconfigPath}`,
            `  apfbench cluster down --dir ${argv.dir}`,
            '',
          ].join('\n'),
        );
      }),
    )
    .command(
      'down',
      'stop the control plane started with `cluster up` and remove its data',
      (y) => y.options(dirOption),
      deferred(async (argv) => {
        const stopped = await stopLocalCluster(argv.dir);
        process.stdout.write(
          stopped.length > 0
            ? `stopped ${stopped.join(', ')}; removed ${argv.dir}\n`
            : `nothing was running; removed ${argv.dir}\n`,
        );
      }),
    )
    .command(
      'status',
      'say what runs from a cluster directory',
      (y) =>
        y.options({
          ...dirOption,
          all: {
            type: 'boolean',
            default: false,
            describe:
              'instead, list the control planes of runs without --kubeconfig in the temporary directory: running, or stale (their apfbench was killed)',
          },
        }),
      deferred(async (argv) => {
        if (argv.all) {
          const root = tmpdir();
          process.stdout.write(`${runDirLines(root, await scanRunDirs(root)).join('\n')}\n`);
          return;
        }
        const status = await localClusterStatus(argv.dir);
        if (status.state === undefined) {
          process.stdout.write(`no control plane in ${status.dir}\n`);
          process.exitCode = 1;
          return;
        }
        const lines = [
          `${status.state.server}: ${status.ready ? 'ready' : 'not ready'} (started ${status.state.startedAt})`,
        ];
        for (const p of status.processes)
          lines.push(`  ${p.name.padEnd(15)} pid ${p.pid}  ${p.alive ? 'running' : 'not running'}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        if (!status.ready) process.exitCode = 1;
      }),
    )
    .command(
      'build',
      'build kube-apiserver and etcd from the pinned Go modules into the cache (a no-op when cached)',
      (y) => y,
      deferred(async () => {
        const printer = progressPrinter({ quiet: false });
        const built = await buildControlPlane({
          onProgress: printer.onPhase,
          onBuildCount: printer.counter('building the control plane'),
        }).finally(printer.done);
        process.stdout.write(`${built.source === 'cache' ? 'cached' : 'built'}: ${built.dir}\n`);
      }),
    )
    .demandCommand(1, 'say which: up, down, status or build');
}
