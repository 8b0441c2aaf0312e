import { ok, resources, type KubeClient, type KubeObject } from '../kube/index.js';
import { loadNamespace, replayGroup, tenantGroup } from './identities.js';

/** The ClusterRole load identities get; nodes are authorized by the Node authorizer instead. */
export const loadRoleName = 'apfbench:load';

/**
 * Creates the load namespace and lets tenants and service accounts work on
 * the resources scenarios use. Idempotent (409 on create is fine).
 */
export async function bootstrapLoadIdentities(admin: KubeClient): Promise<void> {
  const objects: [(typeof resources)[keyof typeof resources], KubeObject][] = [
    [
      resources.namespaces,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: loadNamespace } },
    ],
    [
      resources.clusterroles,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: loadRoleName },
        rules: [
          {
            apiGroups: [''],
            resources: [
              'configmaps',
              'secrets',
              'pods',
              'pods/status',
              'pods/binding',
              'events',
              'nodes',
              'namespaces',
            ],
            verbs: [
              'get',
              'list',
              'watch',
              'create',
              'update',
              'patch',
              'delete',
              'deletecollection',
            ],
          },
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
          },
        ],
      },
    ],
    [
      resources.clusterrolebindings,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: loadRoleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: loadRoleName },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: tenantGroup },
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: replayGroup },
          {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Group',
            name: `system:serviceaccounts:${loadNamespace}`,
          },
        ],
      },
    ],
    [
      resources.serviceaccounts,
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: loadNamespace },
      },
    ],
  ];
  for (const [r, obj] of objects) {
    const res = await admin.create(r, obj);
    if (res.status !== 409) ok(res, `create ${obj.kind} ${obj.metadata.name}`);
  }
}
