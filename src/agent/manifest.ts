/**
 * `apfbench agents manifest`: the YAML that runs N agents as a Kubernetes Indexed Job. Each pod
 * gets JOB_COMPLETION_INDEX from the Job controller, which `apfbench agent` takes as its index.
 *
 * The agents send load as the identities the coordinator hands them (their tokens travel in
 * the assignment), never as their pod's ServiceAccount: every simulated node or tenant stays
 * its own APF flow. So the ServiceAccount mounts no token and its Role grants nothing; both
 * are there so that the pods do not run as the namespace's `default` account, whatever that
 * one may be allowed.
 */
import { stringify } from 'yaml';

export interface ManifestOptions {
  readonly agents: number;
  /** HOST:PORT the pods dial. */
  readonly coordinator: string;
  readonly image: string;
  readonly namespace: string;
  /** Name of the Secret (key `token`) holding the shared agent token. */
  readonly tokenSecret: string;
  /**
   * A Secret of type kubernetes.io/tls (keys `ca.crt`, `tls.crt`, `tls.key`, as cert-manager
   * writes them): the agents dial over TLS, verify the coordinator against `ca.crt` and show
   * `tls.crt` as their client certificate. Omitted: plaintext, the shared secret only.
   */
  readonly tlsSecret?: string | undefined;
}

export const DEFAULT_AGENT_IMAGE = 'apfbench:dev';
export const AGENT_NAME = 'apfbench-agent';
const TOKEN_DIR = '/var/run/apfbench';
const TLS_DIR = '/var/run/apfbench-tls';

/** The Kubernetes objects, in the order they apply. Pure. */
export function agentManifestObjects(o: ManifestOptions): Record<string, unknown>[] {
  const labels = { 'app.kubernetes.io/name': AGENT_NAME };
  const tls = o.tlsSecret;
  const meta = { name: AGENT_NAME, namespace: o.namespace, labels };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta,
      automountServiceAccountToken: false,
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules: [] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: o.namespace }],
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta,
      spec: {
        completionMode: 'Indexed',
        completions: o.agents,
        parallelism: o.agents,
        // A lost agent is reported by the coordinator as partial; a restarted one could not rejoin
        // the run (only a later run of `compare`).
        backoffLimit: 0,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: AGENT_NAME,
            automountServiceAccountToken: false,
            restartPolicy: 'Never',
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'agent',
                image: o.image,
                args: [
                  'agent',
                  '--coordinator',
                  o.coordinator,
                  '--agent-token-file',
                  `${TOKEN_DIR}/token`,
                  ...(tls === undefined
                    ? []
                    : [
                        '--agent-ca',
                        `${TLS_DIR}/ca.crt`,
                        '--agent-tls-cert',
                        `${TLS_DIR}/tls.crt`,
                        '--agent-tls-key',
                        `${TLS_DIR}/tls.key`,
                      ]),
                ],
                resources: { requests: { cpu: '1', memory: '512Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'agent-token', mountPath: TOKEN_DIR, readOnly: true },
                  ...(tls === undefined
                    ? []
                    : [{ name: 'agent-tls', mountPath: TLS_DIR, readOnly: true }]),
                ],
              },
            ],
            volumes: [
              { name: 'agent-token', secret: { secretName: o.tokenSecret } },
              ...(tls === undefined ? [] : [{ name: 'agent-tls', secret: { secretName: tls } }]),
            ],
          },
        },
      },
    },
  ];
}

/** The objects as one multi-document YAML stream. */
export function agentManifest(o: ManifestOptions): string {
  return agentManifestObjects(o)
    .map((doc) => stringify(doc, { aliasDuplicateObjects: false }))
    .join('---\n');
}
