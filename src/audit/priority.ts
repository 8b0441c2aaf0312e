// An estimate of the priority level a flow's requests get under the API server's default
// FlowSchemas (the mandatory and suggested configuration of kube-apiserver 1.29+), from its user
// and groups alone. An audit log does not say which FlowSchema matched; this only decides which
// "other" group (`--top N`) a flow joins, and is written into the scenario as an estimate.

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):/;

/** The priority level most of a flow's requests get under the default FlowSchemas. */
export function defaultPriorityLevel(user: string, groups: readonly string[]): string {
  if (groups.includes('system:masters')) return 'exempt';
  if (groups.includes('system:nodes')) return 'system';
  if (user === 'system:kube-controller-manager' || user === 'system:kube-scheduler') {
    return 'workload-high';
  }
  const sa = SERVICE_ACCOUNT.exec(user);
  if (sa !== null) return sa[1] === 'kube-system' ? 'workload-high' : 'workload-low';
  if (groups.includes('system:serviceaccounts')) return 'workload-low';
  if (groups.includes('system:authenticated') || groups.includes('system:unauthenticated')) {
    return 'global-default';
  }
  return 'catch-all';
}
