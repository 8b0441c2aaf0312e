import { ApfbenchError } from '../errors.js';
import { KubeClient } from './client.js';
import { Transport } from './transport.js';
import { inClusterEnv, loadInClusterConfig } from './in-cluster.js';
import { defaultKubeconfigSource, loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';

/**
 * Which cluster a command was pointed at, by its flags:
 * - `file`: `--kubeconfig FILE`, that file alone (it must exist), as kubectl reads it;
 * - `default`: `--kubeconfig` with no value, kubectl's own choice: the files of $KUBECONFIG
 *   merged, else ~/.kube/config, else (with neither, in a pod) the in-cluster config;
 * - `in-cluster`: `--in-cluster`, the pod's ServiceAccount (loadInClusterConfig).
 */
export type ClusterSelection =
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'default' }
  | { readonly kind: 'in-cluster' };

/** The selection as the user wrote it, for messages. */
export function describeSelection(selection: ClusterSelection): string {
  switch (selection.kind) {
    case 'file':
      return selection.file;
    case 'default':
      return 'the kubeconfig kubectl would use';
    case 'in-cluster':
      return 'the cluster apfbench runs in';
  }
}

export interface ClusterConfigOptions {
  /** --context: a context of the kubeconfig (not for --in-cluster). */
  readonly context?: string | undefined;
  readonly allowRemote?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** The home directory whose .kube/config is the default kubeconfig. */
  readonly home?: string;
  /** The mounted ServiceAccount directory, for the in-cluster config. */
  readonly serviceAccountDir?: string;
}

/** Loads the cluster's config as kubectl would for `selection` (see ClusterSelection). */
export async function loadClusterConfig(
  selection: ClusterSelection,
  opts: ClusterConfigOptions = {},
): Promise<ResolvedKubeconfig> {
  const allowRemote = opts.allowRemote ?? false;
  const inCluster = () =>
    loadInClusterConfig({
      allowRemote,
      ...(opts.env === undefined ? {} : { env: opts.env }),
      ...(opts.serviceAccountDir === undefined ? {} : { dir: opts.serviceAccountDir }),
    });
  switch (selection.kind) {
    case 'file':
      return loadKubeconfig(selection.file, opts.context, { allowRemote });
    case 'in-cluster':
      if (opts.context !== undefined) {
        throw new ApfbenchError(
          'APFBENCH_BAD_FLAG',
          '--context names a kubeconfig context; --in-cluster reads no kubeconfig',
          { kind: 'invalid-input', hint: 'leave out --context, or use --kubeconfig' },
        );
      }
      return inCluster();
    case 'default':
      try {
        return await loadKubeconfig(defaultKubeconfigSource(opts.env, opts.home), opts.context, {
          allowRemote,
        });
      } catch (err) {
        // kubectl in a pod with no kubeconfig talks to the cluster the pod runs in.
        const none = err instanceof ApfbenchError && err.code === 'APFBENCH_NO_KUBECONFIG';
        if (none && opts.context === undefined && inClusterEnv(opts.env)) return inCluster();
        throw err;
      }
  }
}

/**
 * A client of the cluster as the config's identity, over its own transport: when the identity's
 * token changes during its life (ResolvedKubeconfig.credential), the credential is kept fresh,
 * the transport sends each new token, and a 401 to the current one fetches another (once).
 * `close` stops the refreshing and closes the transport.
 */
export function openClusterClient(
  cfg: ResolvedKubeconfig,
  connections: number,
): { readonly client: KubeClient; close(): Promise<void> } {
  const { credential } = cfg;
  const transport = new Transport(cfg.target, {
    connections,
    onUnauthorized: (_, token) => credential?.rejected(token),
  });
  const unlisten = credential?.onChange((token) => transport.setToken(credential.name, token));
  credential?.start();
  return {
    client: new KubeClient(transport, cfg.identity),
    close: async () => {
      credential?.stop();
      unlisten?.();
      await transport.close();
    },
  };
}
