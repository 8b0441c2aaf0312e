import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ClientCertIssuer, newClientKey, type KeyPairPem } from './pki.js';
import { InvalidFileError, readInputFile, type Problem } from '../validation/problems.js';
import { validateJson } from '../validation/validate.js';

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

/**
 * Written next to the kubeconfig, mode 0600. Only `admin` is in system:masters. Nodes and
 * components also have a client certificate signed by the cluster CA (`cert`, PEM) when the
 * control plane issued them (`issueCertificates`): every node's shares the key `nodeKey`, each
 * component's has its own `key`.
 */
export interface IdentitiesFile {
  readonly version: 1;
  readonly admin: TokenIdentity;
  /** `system:node:<name>` in `system:nodes`; `nodeName` is the Node object's name. */
  readonly nodes: readonly (TokenIdentity & { nodeName: string; cert?: string | undefined })[];
  /** The private key (PKCS#8 PEM) of every node certificate: one key pair for all nodes. */
  readonly nodeKey?: string | undefined;
  /** One user per tenant, in group `apfbench:tenants` (flow schema `global-default`). */
  readonly tenants: readonly TokenIdentity[];
  /** `system:serviceaccount:<ns>:<name>` (flow schema `service-accounts`). */
  readonly serviceAccounts: readonly (TokenIdentity & { namespace: string; name: string })[];
  /** Control-plane component users (`system:kube-scheduler`, `system:kube-controller-manager`). */
  readonly components: readonly (TokenIdentity & {
    cert?: string | undefined;
    key?: string | undefined;
  })[];
}

export const tenantGroup = 'apfbench:tenants';
/**
 * The group every user given with its own groups (a replayed flow's) also gets: RBAC lets it work
 * on the load's resources, as it does the tenants' group; no FlowSchema names it, so its flows
 * are classified by their recorded groups alone.
 */
export const replayGroup = 'apfbench:replay';
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

/** A user a scenario names with the groups it must have (a replay group's recorded ones). */
export interface ExtraUser {
  readonly user: string;
  readonly groups: readonly string[];
}

/** Groups every authenticated user has: the API server adds them, a token file need not. */
const IMPLICIT_GROUPS = new Set(['system:authenticated']);

/**
 * `extraTenants` adds users by name (those a scenario's identity templates produce): node and
 * service-account users get the groups the API server gives them, other users the tenants'
 * group, or, given as an ExtraUser, their own groups (a replayed flow's, so that it falls into
 * the same FlowSchema as the recorded one).
 */
export function generateIdentities(
  counts: IdentityCounts,
  extraTenants: readonly (string | ExtraUser)[] = [],
): IdentitiesFile {
  const ownGroups = new Map(
    extraTenants.flatMap((u) =>
      typeof u === 'string'
        ? []
        : [[u.user, [...u.groups.filter((g) => !IMPLICIT_GROUPS.has(g)), replayGroup]]],
    ),
  );
  const extraNames = extraTenants.map((u) => (typeof u === 'string' ? u : u.user));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    version: 1,
    admin: { user: 'apfbench-admin', groups: ['system:masters'], token: token() },
    // Node users a scenario names (kubelets) are nodes too, in system:nodes.
    nodes: [
      ...new Set([
        ...range(counts.nodes).map(nodeName),
        ...extraNames.flatMap((u) => nodeUser.exec(u)?.[1] ?? []),
      ]),
    ].map((name) => ({
      nodeName: name,
      user: `system:node:${name}`,
      groups: ownGroups.has(`system:node:${name}`)
        ? ['system:nodes', replayGroup]
        : ['system:nodes'],
      token: token(),
    })),
    tenants: [
      ...new Set([
        ...range(counts.tenants).map((i) => `tenant-${i}`),
        ...extraNames.filter(
          (u) => !serviceAccountUser.test(u) && !componentUsers.includes(u) && !nodeUser.test(u),
        ),
      ]),
    ].map((user) => ({
      user,
      groups: ownGroups.get(user) ?? [tenantGroup],
      token: token(),
    })),
    // Service-account users a scenario names get the groups the API server gives service accounts.
    serviceAccounts: [
      ...new Set([
        ...range(counts.serviceAccounts).map(
          (i) => `system:serviceaccount:${loadNamespace}:controller-${i}`,
        ),
        ...extraNames.filter((u) => serviceAccountUser.test(u)),
      ]),
    ].map((user) => {
      const [, namespace = '', name = ''] = serviceAccountUser.exec(user) ?? [];
      return {
        namespace,
        name,
        user,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${namespace}`,
          ...(ownGroups.has(user) ? [replayGroup] : []),
        ],
        token: token(),
      };
    }),
    components: componentUsers.map((user) => ({ user, groups: [], token: token() })),
  };
}

/**
 * `ids` with a client certificate for every node (CN `system:node:<name>`, O `system:nodes`) and
 * every component (CN its user), signed by `ca`. The nodes share one key pair: a key each would
 * cost more than all the certificates together (docs/cluster.md has the figures).
 */
export async function issueCertificates(
  ids: IdentitiesFile,
  ca: KeyPairPem,
  days = 365,
): Promise<IdentitiesFile> {
  const issuer = await ClientCertIssuer.create(ca, days);
  const nodeKey = newClientKey();
  return {
    ...ids,
    nodes: ids.nodes.map((n) => ({ ...n, cert: issuer.issue(n.user, n.groups, nodeKey.spki) })),
    nodeKey: nodeKey.key,
    components: ids.components.map((c) => {
      const own = newClientKey();
      return { ...c, cert: issuer.issue(c.user, c.groups, own.spki), key: own.key };
    }),
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

const pemSchema = z.string().regex(/^-----BEGIN [A-Z ]+-----\n/, 'must be PEM');

const tokenIdentitySchema = z.looseObject({
  user: z.string().min(1),
  groups: z.array(z.string()),
  token: z.string().min(1),
});

/** identities.json as `cluster up` writes it (unknown fields are kept). */
const identitiesFileSchema = z.looseObject({
  version: z.literal(1),
  admin: tokenIdentitySchema,
  nodes: z.array(tokenIdentitySchema.extend({ nodeName: z.string(), cert: pemSchema.optional() })),
  nodeKey: pemSchema.optional(),
  tenants: z.array(tokenIdentitySchema),
  serviceAccounts: z.array(tokenIdentitySchema.extend({ namespace: z.string(), name: z.string() })),
  components: z.array(
    tokenIdentitySchema.extend({ cert: pemSchema.optional(), key: pemSchema.optional() }),
  ),
});

const invalidIdentities = (problems: readonly Problem[]) =>
  new InvalidFileError(
    'APFBENCH_INVALID_IDENTITIES',
    'identities file',
    problems,
    'An identities file is the identities.json that `apfbench cluster up` writes next to its kubeconfig; run and compare read it (--identities, or the one beside --kubeconfig) and impersonate every load identity when there is none.',
  );

/**
 * Reads and validates an identities file. Throws an InvalidFileError, with every problem and its
 * location, for one that cannot be read or is not one; `missingOk` returns undefined instead
 * when there is no file at `path` (the default file next to a kubeconfig is optional).
 */
export function readIdentitiesFile(path: string, missingOk?: false): Promise<IdentitiesFile>;
export function readIdentitiesFile(
  path: string,
  missingOk: boolean,
): Promise<IdentitiesFile | undefined>;
export async function readIdentitiesFile(
  path: string,
  missingOk = false,
): Promise<IdentitiesFile | undefined> {
  const read = await readInputFile(path);
  if (!read.ok) {
    if (missingOk && read.reason === 'ENOENT') return undefined;
    throw invalidIdentities(read.problems);
  }
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch (error) {
    throw invalidIdentities([
      {
        file: path,
        line: 0,
        column: 0,
        path: '',
        message: `not JSON (${(error as Error).message})`,
      },
    ]);
  }
  const result = validateJson(identitiesFileSchema, value, read.text, path);
  if (!result.ok) throw invalidIdentities(result.problems);
  return result.value;
}
