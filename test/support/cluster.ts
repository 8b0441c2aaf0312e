import { afterAll, beforeAll } from 'vitest';
import { localRunTarget, type OpenTarget } from '../../src/engine/target.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startLocalCluster,
  type LocalCluster,
  type LocalClusterOptions,
} from '../../src/cluster/index.js';
import {
  KubeClient,
  Transport,
  type Identity,
  type TransportOptions,
} from '../../src/kube/index.js';
import type { TokenIdentity } from '../../src/cluster/identities.js';

/** An ephemeral real control plane with a few identities of each kind. */
export async function startTestCluster(
  opts: Partial<LocalClusterOptions> = {},
): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-it-'));
  return startLocalCluster({
    dir,
    identities: { nodes: 4, tenants: 4, serviceAccounts: 2 },
    ...opts,
  });
}

export function identityOf(id: TokenIdentity): Identity {
  return { name: id.user, token: id.token };
}

/** A client over its own transport (HTTP/1.1 unless `opts` says); close the transport when done. */
export function clientFor(
  cluster: LocalCluster,
  identity: Identity,
  opts: TransportOptions = {},
): KubeClient {
  return new KubeClient(new Transport(cluster.target, { connections: 4, ...opts }), identity);
}

/**
 * A real control plane and a run target on it for the tests of one file:
 * started before all, stopped after all. Read the fields inside tests.
 */
export function useLocalTarget(opts: Partial<LocalClusterOptions> = {}): {
  cluster: LocalCluster;
  target: OpenTarget;
} {
  const ctx = {} as { cluster: LocalCluster; target: OpenTarget };
  beforeAll(async () => {
    ctx.cluster = await startTestCluster(opts);
    ctx.target = await localRunTarget(ctx.cluster);
  });
  afterAll(async () => {
    await ctx.target?.close();
    await ctx.cluster?.stop();
  });
  return ctx;
}

/**
 * A real control plane for the tests of one file, or of one describe block, that drive the CLI
 * at it through its kubeconfig: started before all, stopped after all, with an admin client.
 */
export function useTestCluster(opts: Partial<LocalClusterOptions> = {}): {
  cluster: LocalCluster;
  admin: KubeClient;
} {
  const ctx = {} as { cluster: LocalCluster; admin: KubeClient };
  beforeAll(async () => {
    ctx.cluster = await startTestCluster(opts);
    ctx.admin = ctx.cluster.admin();
  });
  afterAll(async () => {
    await ctx.admin?.transport.close();
    await ctx.cluster?.stop();
  });
  return ctx;
}
