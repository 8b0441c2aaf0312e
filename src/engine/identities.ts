import type { IdentitiesFile } from '../cluster/identities.js';
import { tenantGroup } from '../cluster/identities.js';
import type { Identity } from '../kube/index.js';

/**
 * Turns a user name from a scenario into how requests authenticate as it: the
 * user's own token when the cluster's token file has one (a local control
 * plane), otherwise impersonation through the admin credentials, which the API
 * server's APF filter classifies as the impersonated user.
 */
export class IdentityResolver {
  private readonly tokens: Map<string, string>;

  constructor(
    private readonly admin: Identity,
    file?: IdentitiesFile,
  ) {
    const all =
      file === undefined
        ? []
        : [...file.nodes, ...file.tenants, ...file.serviceAccounts, ...file.components];
    this.tokens = new Map(all.map((id) => [id.user, id.token]));
  }

  /** A tenant-like user; `groups` is used only when impersonating. */
  resolve(user: string, groups: readonly string[] = [tenantGroup]): Identity {
    const token = this.tokens.get(user);
    if (token !== undefined) return { name: user, token };
    return { ...this.admin, name: user, impersonate: { user, groups: [...groups] } };
  }
}
