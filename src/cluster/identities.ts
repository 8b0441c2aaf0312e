import { randomBytes } from 'node:crypto';

/** How many load identities the token file holds; each is a real API-server user. */
export interface IdentityCounts {
  readonly nodes: number;
  readonly tenants: number;
  readonly serviceAccounts: number;
}

export const defaultIdentityCounts: IdentityCounts = {
  nodes: 2000,
  tenants: 100,
  serviceAccounts: 100,
};

export interface TokenIdentity {
  readonly user: string;
  readonly groups: readonly string[];
  readonly token: string;
}

/** Written next to the kubeconfig, mode 0600. Only `admin` is in system:masters. */
export interface IdentitiesFile {
  readonly version: 1;
  readonly admin: TokenIdentity;
  /** `system:node:<name>` in `system:nodes`; `nodeName` is the Node object's name. */
  readonly nodes: readonly (TokenIdentity & { nodeName: string })[];
  /** One user per tenant, in group `apfbench:tenants` (flow schema `global-default`). */
  readonly tenants: readonly TokenIdentity[];
  /** `system:serviceaccount:<ns>:<name>` (flow schema `service-accounts`). */
  readonly serviceAccounts: readonly (TokenIdentity & { namespace: string; name: string })[];
  /** Control-plane component users (`system:kube-scheduler`, `system:kube-controller-manager`). */
  readonly components: readonly TokenIdentity[];
}

export const tenantGroup = 'apfbench:tenants';
export const loadNamespace = 'apfbench';

export function nodeName(i: number): string {
  return `node-${String(i).padStart(5, '0')}`;
}

const token = () => randomBytes(24).toString('base64url');

/** `system:serviceaccount:<namespace>:<name>`. */
const serviceAccountUser = /^system:serviceaccount:([^:]+):([^:]+)$/;
/** `system:node:<node name>`: the Node authorizer's and NodeRestriction's users. */
const nodeUser = /^system:node:(.+)$/;
/** Control-plane components with default RBAC and flow schemas of their own. */
const componentUsers: readonly string[] = [
  'system:kube-scheduler',
  'system:kube-controller-manager',
];

/** `extraTenants` adds tenant users by name (those a scenario's identity templates produce). */
export function generateIdentities(
  counts: IdentityCounts,
  extraTenants: readonly string[] = [],
): IdentitiesFile {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    version: 1,
    admin: { user: 'apfbench-admin', groups: ['system:masters'], token: token() },
    // Node users a scenario names (kubelets) are nodes too, in system:nodes.
    nodes: [
      ...new Set([
        ...range(counts.nodes).map(nodeName),
        ...extraTenants.flatMap((u) => nodeUser.exec(u)?.[1] ?? []),
      ]),
    ].map((name) => ({
      nodeName: name,
      user: `system:node:${name}`,
      groups: ['system:nodes'],
      token: token(),
    })),
    tenants: [
      ...new Set([
        ...range(counts.tenants).map((i) => `tenant-${i}`),
        ...extraTenants.filter(
          (u) => !serviceAccountUser.test(u) && !componentUsers.includes(u) && !nodeUser.test(u),
        ),
      ]),
    ].map((user) => ({
      user,
      groups: [tenantGroup],
      token: token(),
    })),
    // Service-account users a scenario names get the groups the API server gives service accounts.
    serviceAccounts: [
      ...new Set([
        ...range(counts.serviceAccounts).map(
          (i) => `system:serviceaccount:${loadNamespace}:controller-${i}`,
        ),
        ...extraTenants.filter((u) => serviceAccountUser.test(u)),
      ]),
    ].map((user) => {
      const [, namespace = '', name = ''] = serviceAccountUser.exec(user) ?? [];
      return {
        namespace,
        name,
        user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
        token: token(),
      };
    }),
    components: componentUsers.map((user) => ({ user, groups: [], token: token() })),
  };
}

export function allIdentities(ids: IdentitiesFile): TokenIdentity[] {
  return [ids.admin, ...ids.nodes, ...ids.tenants, ...ids.serviceAccounts, ...ids.components];
}

/** The API server's --token-auth-file format: token,user,uid,"group1,group2". */
export function renderTokenFile(ids: IdentitiesFile): string {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return (
    allIdentities(ids)
      .map((id) => [id.token, id.user, id.user, quote(id.groups.join(','))].join(','))
      .join('\n') + '\n'
  );
}
