import { dirname, join } from 'node:path';
import {
  readIdentitiesFile,
  startLocalCluster,
  type BinaryOptions,
  type ExtraUser,
  type LocalCluster,
} from '../cluster/index.js';
import { ApfbenchError } from '../errors.js';
import {
  describeSelection,
  loadClusterConfig,
  ok,
  openClusterClient,
  type KubeClient,
  type ClusterSelection,
  type ResolvedKubeconfig,
} from '../kube/index.js';
import { definitionOf } from '../actors/index.js';
import type { Scenario } from '../actors/scenario.js';
import type { RunTarget } from './coordinator.js';
import { expandIdentity } from '../scenario/identity.js';
import { IdentityResolver } from './identities.js';
import { describeAuditPolicy, type AuditPolicy } from '../profile/index.js';

export interface TargetOptions extends BinaryOptions {
  /** Without one, an ephemeral local control plane is started and stopped after the run. */
  readonly cluster?: ClusterSelection | undefined;
  readonly context?: string | undefined;
  /** Identities file (from `cluster up`) next to the kubeconfig, for per-user tokens. */
  readonly identitiesFile?: string | undefined;
  readonly allowRemote?: boolean;
  /** kube-apiserver flags for a control plane apfbench starts itself (a profile's). */
  readonly apiserverArgs?: readonly string[];
  /**
   * kube-apiserver flags from the command line that size every local control plane of a run
   * or comparison; the profile's own flags come after them and win.
   */
  readonly serverArgs?: readonly string[];
  /** The audit policy of a control plane apfbench starts; refused on any other cluster. */
  readonly auditPolicy?: AuditPolicy | undefined;
  /** Where its audit log goes; under the control plane's directory when left out. */
  readonly auditLogPath?: string | undefined;
  /** Ctrl-C while a local control plane starts: it is stopped and `interrupted` thrown. */
  readonly signal?: AbortSignal | undefined;
}

export interface OpenTarget {
  readonly run: RunTarget;
  close(): Promise<void>;
}

/** Every user name a scenario's identity templates produce. */
export function scenarioUsers(scenario: Scenario): (string | ExtraUser)[] {
  return scenario.spec.actors.flatMap((g) => {
    const groupsOf = definitionOf(g).identityGroups;
    return Array.from({ length: g.count }, (_, i) => {
      const user = expandIdentity(g.identity, i);
      // A type whose groups are each group's own (a replay's recorded ones) gets a token in them.
      return typeof groupsOf === 'function' ? { user, groups: groupsOf(g) } : user;
    });
  });
}

async function serverVersion(admin: KubeClient): Promise<string> {
  return ok(
    await admin.request<{ gitVersion: string }>({ method: 'GET', path: '/version' }),
    'GET /version',
  ).gitVersion;
}

/**
 * The kubeconfig and the identities file of the `cluster` selected, validated: callers that
 * write something before they open the target read them first, so that a bad file is refused
 * before anything starts; so is a server that is not loopback (unless allowRemote), before the
 * kubeconfig's exec plugin runs. The default identities file, next to the kubeconfig file that
 * holds the context in use, may be missing (every user is then impersonated); one given with
 * --identities may not, and neither may be malformed. The in-cluster config has none by default.
 */
export async function readTargetFiles(
  opts: Pick<TargetOptions, 'context' | 'identitiesFile' | 'allowRemote'> & {
    readonly cluster: ClusterSelection;
  },
): Promise<{ cfg: ResolvedKubeconfig; ids: Awaited<ReturnType<typeof readIdentitiesFile>> }> {
  const cfg = await loadClusterConfig(opts.cluster, {
    context: opts.context,
    allowRemote: opts.allowRemote ?? false,
  });
  const next = cfg.file === undefined ? undefined : join(dirname(cfg.file), 'identities.json');
  const file = opts.identitiesFile ?? next;
  const ids =
    file === undefined
      ? undefined
      : await readIdentitiesFile(file, opts.identitiesFile === undefined);
  return { cfg, ids };
}

/**
 * The cluster a run goes to. With a kubeconfig: that cluster (loopback only,
 * unless allowRemote), with load identities from the identities file when one
 * is next to it, else by impersonation. Without: an ephemeral local control
 * plane whose token file has a token for every user the scenario names.
 */
export async function openTarget(scenario: Scenario, opts: TargetOptions): Promise<OpenTarget> {
  if (opts.cluster !== undefined) {
    if ((opts.serverArgs ?? []).length > 0) {
      throw new ApfbenchError(
        'APFBENCH_FLAGS_NEED_LOCAL',
        `--apiserver-arg sets flags of a control plane apfbench starts; ${describeSelection(opts.cluster)} is a cluster it did not start`,
        {
          kind: 'invalid-input',
          hint: 'set those flags on your cluster yourself, or leave out --kubeconfig',
        },
      );
    }
    if (opts.auditPolicy !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_FLAGS_NEED_LOCAL',
        `an audit policy is set on a control plane apfbench starts; ${describeSelection(opts.cluster)} is a cluster it did not start`,
        {
          kind: 'invalid-input',
          hint: "set your cluster's audit policy yourself (kube-apiserver --audit-policy-file), or leave out --kubeconfig",
        },
      );
    }
    const { cfg, ids } = await readTargetFiles({ ...opts, cluster: opts.cluster });
    // The admin client's token follows the credential; the coordinator passes it on to workers.
    const { client: admin, close } = openClusterClient(cfg, 8);
    const { credential } = cfg;
    credential?.onFailure((err) =>
      opts.onProgress?.(
        `warning: renewing the token of the ${credential.name} failed, trying again in 1 s (${err instanceof Error ? err.message : String(err)})`,
      ),
    );
    try {
      return {
        run: {
          target: cfg.target,
          admin,
          identities: new IdentityResolver(cfg.identity, ids),
          serverVersion: await serverVersion(admin),
          local: false,
          ...(credential === undefined ? {} : { credential }),
        },
        close,
      };
    } catch (err) {
      await close();
      throw err;
    }
  }
  const cluster = await startLocalCluster({
    ...opts,
    identities: { nodes: 0, tenants: 0, serviceAccounts: 0 },
    extraTenants: scenarioUsers(scenario),
    apiserverArgs: [...(opts.serverArgs ?? []), ...(opts.apiserverArgs ?? [])],
  });
  try {
    const target = await localRunTarget(cluster);
    return {
      run: target.run,
      close: async () => {
        await target.close();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** A run target on a control plane apfbench started; `close` leaves the control plane running. */
export async function localRunTarget(cluster: LocalCluster): Promise<OpenTarget> {
  const admin = cluster.admin();
  const adminIdentity = { name: 'admin', token: cluster.identities.admin.token };
  try {
    return {
      run: {
        target: cluster.target,
        admin,
        identities: new IdentityResolver(adminIdentity, cluster.identities),
        serverVersion: await serverVersion(admin),
        local: true,
        controlPlane: cluster,
        ...(cluster.auditLog === undefined || cluster.auditPolicy === undefined
          ? {}
          : { audit: { policy: describeAuditPolicy(cluster.auditPolicy), log: cluster.auditLog } }),
      },
      close: () => admin.transport.close(),
    };
  } catch (err) {
    await admin.transport.close();
    throw err;
  }
}
