// kind (Kubernetes in Docker) clusters carrying the kube-apiserver flags an APF experiment needs.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { ApfbenchError } from '../errors.js';

export interface KindConfigOptions {
  /** kind cluster name (also the kubeconfig context, `kind-<name>`). */
  readonly name: string;
  /** kube-apiserver flags as `key=value` (a leading `--` is dropped). */
  readonly apiserverArgs: readonly string[];
  /** Worker nodes besides the control plane; the API server only needs the control plane. */
  readonly workers?: number;
}

const KUBEADM_V1BETA3 = 'kubeadm.k8s.io/v1beta3';
const KUBEADM_V1BETA4 = 'kubeadm.k8s.io/v1beta4';

/** `key=value` flags as ordered pairs; the last of a repeated key wins, as on a command line. */
export function parseFlags(args: readonly string[]): [string, string][] {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const text = arg.replace(/^--/, '');
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(key)) {
      throw new ApfbenchError(
        'APFBENCH_BAD_APISERVER_ARG',
        `"${arg}" is not a kube-apiserver flag (expected key=value, e.g. max-requests-inflight=10)`,
        { kind: 'invalid-input' },
      );
    }
    flags.set(key, eq < 0 ? 'true' : text.slice(eq + 1));
  }
  return [...flags];
}

/** A YAML double-quoted scalar: every value is a string to kubeadm. */
const quote = (s: string) => JSON.stringify(s);

/**
 * kind's v1alpha4 Cluster config whose kubeadmConfigPatches set the API-server flags. Two
 * versioned patches, because kubeadm's `apiServer.extraArgs` changed shape: a mapping in
 * v1beta3 (what kind generates for older Kubernetes) and a list of {name, value} in v1beta4
 * (what newer kind releases generate for Kubernetes 1.36+). A versioned patch only applies to a config of its version,
 * so exactly one of them takes effect, whichever kind and node image are used.
 */
export function kindClusterConfig(opts: KindConfigOptions): string {
  const flags = parseFlags(opts.apiserverArgs);
  const lines = [
    '# Written by `apfbench cluster up --provider kind`; create with:',
    `#   kind create cluster --config <this file>`,
    'kind: Cluster',
    'apiVersion: kind.x-k8s.io/v1alpha4',
    `name: ${opts.name}`,
    'nodes:',
    '  - role: control-plane',
    ...Array.from({ length: opts.workers ?? 0 }, () => '  - role: worker'),
  ];
  if (flags.length > 0) {
    lines.push(
      'kubeadmConfigPatches:',
      '  - |',
      `    apiVersion: ${KUBEADM_V1BETA3}`,
      '    kind: ClusterConfiguration',
      '    apiServer:',
      '      extraArgs:',
      ...flags.map(([k, v]) => `        ${k}: ${quote(v)}`),
      '  - |',
      `    apiVersion: ${KUBEADM_V1BETA4}`,
      '    kind: ClusterConfiguration',
      '    apiServer:',
      '      extraArgs:',
      ...flags.flatMap(([k, v]) => [`        - name: ${k}`, `          value: ${quote(v)}`]),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The full path of `command` on `PATH`, or undefined. */
export async function findOnPath(
  command: string,
  path: string | undefined = process.env.PATH,
): Promise<string | undefined> {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface KindCreateOptions extends KindConfigOptions {
  /** Where the config is written (kept, so that the cluster can be recreated by hand). */
  readonly configPath: string;
  /** Where kind writes the kubeconfig. */
  readonly kubeconfigPath: string;
  /** kindest/node image; default: kind's. */
  readonly image?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (line: string) => void;
}

/** Fails with what to install when kind or docker is missing, or docker does not answer. */
export async function assertKindUsable(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const kind = await findOnPath('kind', env.PATH);
  if (kind === undefined) {
    throw new ApfbenchError(
      'APFBENCH_KIND_MISSING',
      '`kind` is not on PATH; --provider kind needs kind (Kubernetes in Docker) and Docker',
      {
        hint:
          'install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation, ' +
          'e.g. `go install sigs.k8s.io/kind@latest`) and Docker, or leave out --provider to ' +
          'start a local control plane (etcd + kube-apiserver) without Docker',
      },
    );
  }
  const docker = await findOnPath('docker', env.PATH);
  if (docker === undefined) {
    throw new ApfbenchError(
      'APFBENCH_DOCKER_MISSING',
      '`docker` is not on PATH; kind runs its nodes as Docker containers',
      {
        hint:
          'install Docker (https://docs.docker.com/engine/install/) and start its daemon, or ' +
          'leave out --provider to start a local control plane without Docker',
      },
    );
  }
  const info = await execute(docker, ['info', '--format', '{{.ServerVersion}}'], env);
  if (info.code !== 0) {
    throw new ApfbenchError(
      'APFBENCH_DOCKER_UNAVAILABLE',
      `docker is installed but its daemon does not answer: ${info.output.trim().split('\n').at(-1) ?? ''}`,
      {
        hint: 'start the Docker daemon (e.g. `sudo systemctl start docker`) and make sure this user may use it',
      },
    );
  }
  return kind;
}

function execute(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (onLine) for (const line of text.split('\n')) if (line.trim() !== '') onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Writes the config and runs `kind create cluster`; returns the kubeconfig path. */
export async function createKindCluster(
  opts: KindCreateOptions,
): Promise<{ kubeconfigPath: string; configPath: string }> {
  const env = opts.env ?? process.env;
  const config = kindClusterConfig(opts);
  const kind = await assertKindUsable(env);
  await mkdir(dirname(opts.configPath), { recursive: true });
  await writeFile(opts.configPath, config);
  await mkdir(dirname(opts.kubeconfigPath), { recursive: true });
  const args = [
    'create',
    'cluster',
    '--name',
    opts.name,
    '--config',
    opts.configPath,
    '--kubeconfig',
    opts.kubeconfigPath,
    '--wait',
    '120s',
    ...(opts.image === undefined ? [] : ['--image', opts.image]),
  ];
  opts.onProgress?.(`kind ${args.join(' ')}`);
  const created = await execute(kind, args, env, opts.onProgress);
  if (created.code !== 0) {
    throw new ApfbenchError(
      'APFBENCH_KIND_FAILED',
      `kind create cluster failed (exit ${String(created.code)}): ${created.output.trim().split('\n').slice(-3).join(' | ')}`,
      {
        hint: `the config is in ${opts.configPath}; a cluster of that name may already exist (kind delete cluster --name ${opts.name})`,
      },
    );
  }
  return { kubeconfigPath: opts.kubeconfigPath, configPath: opts.configPath };
}
