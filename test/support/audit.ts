// Audit events as kube-apiserver's log backend writes them (one JSON object a line, fields in
// the Go struct's order), for tests and for bench/audit-log.ts.

export interface EventFields {
  readonly stage?: string;
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly verb?: string;
  readonly uri?: string;
  readonly objectRef?: Record<string, string>;
  readonly code?: number;
  /** requestReceivedTimestamp, epoch ms. */
  readonly atMs?: number;
  /** stageTimestamp − requestReceivedTimestamp. */
  readonly tookMs?: number;
  readonly level?: string;
  readonly requestObject?: unknown;
  readonly apiVersion?: string;
}

export const T0 = Date.parse('2026-12-02T10:00:00Z');

/** from-audit's defaults, as the CLI passes them. */
export const deriveDefaults = {
  name: 'replay',
  resolutionMs: 10_000,
  speed: 1,
  scale: 1,
  anonymize: false,
  defaultSize: 1024,
} as const;

/** RFC 3339 with microseconds, as the API server writes its timestamps. */
const micro = (ms: number) => new Date(ms).toISOString().replace(/(\.\d{3})Z$/, '$1000Z');

/** One audit event line. */
export function auditLine(f: EventFields = {}, id = 0): string {
  const at = f.atMs ?? T0;
  return JSON.stringify({
    kind: 'Event',
    apiVersion: f.apiVersion ?? 'audit.k8s.io/v1',
    level: f.level ?? 'Metadata',
    auditID: `00000000-0000-0000-0000-${String(id).padStart(12, '0')}`,
    stage: f.stage ?? 'ResponseComplete',
    requestURI: f.uri ?? '/api/v1/namespaces/apfbench/configmaps/big-1',
    verb: f.verb ?? 'get',
    user: {
      username: f.user ?? 'quiet-0',
      groups: f.groups ?? ['apfbench:tenants', 'system:authenticated'],
    },
    sourceIPs: ['127.0.0.1'],
    userAgent: 'apfbench/0.1.0',
    objectRef: f.objectRef ?? {
      resource: 'configmaps',
      namespace: 'apfbench',
      name: 'big-1',
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: f.code ?? 200 },
    ...(f.requestObject === undefined ? {} : { requestObject: f.requestObject }),
    requestReceivedTimestamp: micro(at),
    stageTimestamp: micro(at + (f.tookMs ?? 2)),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  });
}
