import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKindCluster, parseFlags } from '../cluster/kind.js';
import { apiserverArgsOf, loadProfileFile } from '../profile/index.js';
import { progress } from './output.js';

/** Options `cluster up` gains for `--provider kind`. */
export const kindOptions = {
  provider: {
    choices: ['local', 'kind'] as const,
    default: 'local' as const,
    describe:
      'local: etcd + kube-apiserver processes; kind: a kind cluster (needs kind and Docker)',
  },
  profile: {
    type: 'string',
    describe:
      'with --provider kind: a profile (file or bundled name) whose API-server flags the cluster gets',
  },
  name: {
    type: 'string',
    default: 'apfbench',
    describe: 'with --provider kind: the kind cluster name',
  },
  image: { type: 'string', describe: 'with --provider kind: the kindest/node image' },
} as const;

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A profile file, or the name of a bundled one (profiles/<name>.yaml). */
export function profilePath(profile: string): string {
  if (existsSync(profile)) return profile;
  const bundled = join(packageRoot, 'profiles', `${profile}.yaml`);
  return existsSync(bundled) ? bundled : profile;
}

export interface KindUpArgs {
  readonly dir: string;
  readonly name: string;
  readonly image?: string | undefined;
  readonly profile?: string | undefined;
  readonly 'max-requests-inflight'?: number | undefined;
  readonly 'max-mutating-requests-inflight'?: number | undefined;
  readonly 'apiserver-arg': readonly string[];
}

/** `cluster up --provider kind`: flags from the profile, then the flag options, last wins. */
export async function kindUpHandler(argv: KindUpArgs): Promise<void> {
  const fromProfile =
    argv.profile === undefined
      ? []
      : apiserverArgsOf(await loadProfileFile(profilePath(argv.profile)));
  const args = [
    ...fromProfile,
    ...(argv['max-requests-inflight'] === undefined
      ? []
      : [`max-requests-inflight=${argv['max-requests-inflight']}`]),
    ...(argv['max-mutating-requests-inflight'] === undefined
      ? []
      : [`max-mutating-requests-inflight=${argv['max-mutating-requests-inflight']}`]),
    ...argv['apiserver-arg'],
  ];
  parseFlags(args);
  const dir = resolve(argv.dir);
  const started = Date.now();
  const created = await createKindCluster({
    name: argv.name,
    apiserverArgs: args,
    image: argv.image,
    configPath: join(dir, 'kind-config.yaml'),
    kubeconfigPath: join(dir, 'kubeconfig'),
    onProgress: progress,
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      `kind cluster ${argv.name} ready (${secs}s)`,
      `  config:     ${created.configPath}`,
      `  kubeconfig: ${created.kubeconfigPath} (admin; load identities are impersonated)`,
      '',
      `  apfbench run SCENARIO --kubeconfig ${created.kubeconfigPath}`,
      `  kind delete cluster --name ${argv.name}`,
      '',
    ].join('\n'),
  );
}
