import type { IdentitiesFile } from '../cluster/identities.js';
import { tenantGroup } from '../cluster/identities.js';
import { ApfbenchError } from '../errors.js';
import type { Identity } from '../kube/index.js';
import type { AuthMode } from '../scenario/index.js';

/**
 * How an instance authenticates: its client certificate (`certificate`, an error when the
 * identities file has none for it), its token (`token`), or its certificate when it has one and
 * else its token (`either`).
 */
export type AuthChoice = 'certificate' | 'token' | 'either';

/**
 * How a group's instances authenticate: as its `auth` says, else by token. Certificates are not
 * the default yet: with each of 200 kubelets presenting its own certificate over h2 per-actor
 * connections, test/integration/heartbeats.test.ts saw 10-20 % fewer renewals than with tokens on
 * a loaded 2-core machine, and the cause is not found (README, Transport).
 */
export function authChoiceOf(auth: AuthMode | undefined): AuthChoice {
  return auth ?? 'token';
}

/**
 * Turns a user name from a scenario into how requests authenticate as it: the user's client
 * certificate or own token when the cluster's identities file has them (a control plane apfbench
 * started), otherwise impersonation through the admin credentials, which the API server's APF
 * filter classifies as the impersonated user.
 */
export class IdentityResolver {
  private readonly tokens: Map<string, string>;
  private readonly certs = new Map<string, { cert: string; key: string }>();

  constructor(
    private readonly admin: Identity,
    file?: IdentitiesFile,
  ) {
    const all =
      file === undefined
        ? []
        : [...file.nodes, ...file.tenants, ...file.serviceAccounts, ...file.components];
    this.tokens = new Map(all.map((id) => [id.user, id.token]));
    for (const node of file?.nodes ?? []) {
      if (node.cert !== undefined && file?.nodeKey !== undefined)
        this.certs.set(node.user, { cert: node.cert, key: file.nodeKey });
    }
    for (const c of file?.components ?? []) {
      if (c.cert !== undefined && c.key !== undefined)
        this.certs.set(c.user, { cert: c.cert, key: c.key });
    }
  }

  /**
   * A user's identity; `groups` is used only when impersonating. `where` names the scenario
   * group in the error for a certificate that is not there.
   */
  resolve(
    user: string,
    groups: readonly string[] = [tenantGroup],
    auth: AuthChoice = 'token',
    where = user,
  ): Identity {
    const cert = auth === 'token' ? undefined : this.certs.get(user);
    if (cert !== undefined) return { name: user, clientCert: cert };
    if (auth === 'certificate') {
      throw new ApfbenchError(
        'APFBENCH_NO_CERTIFICATE',
        `${where}: auth: certificate, but there is no client certificate for ${user}`,
        {
          kind: 'invalid-input',
          hint: 'client certificates come from a control plane apfbench starts (`cluster up`, or `run` without --kubeconfig), in its identities.json; on another cluster use auth: token',
        },
      );
    }
    const token = this.tokens.get(user);
    if (token !== undefined) return { name: user, token };
    return { ...this.admin, name: user, impersonate: { user, groups: [...groups] } };
  }
}
