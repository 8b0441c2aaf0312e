// One line of an audit log (an audit.k8s.io/v1 Event, as the API server's log backend writes
// them, one JSON object a line) into what a scenario needs of it: who, what, when, the answer.
// Bodies are never kept; only the size of a write's request object, where the level logged it.

/** The only Event version the API server writes (v1beta1 was removed in Kubernetes 1.24). */
export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

/** The stages whose events say how a request ended; the others are skipped and counted. */
const FINAL_STAGES = new Set(['ResponseComplete', 'Panic']);

/** The query parameters of a request that change what the server does for it. */
export interface RequestQuery {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

/** A resource request's target, from the event's objectRef. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** A request that ended, as an audit event recorded it. */
export interface AuditRequest {
  readonly user: string;
  readonly groups: readonly string[];
  /** Audit verb: get, list, watch, create, update, patch, delete, deletecollection, … */
  readonly verb: string;
  /** requestReceivedTimestamp, epoch ms. */
  readonly receivedMs: number;
  /** stageTimestamp − requestReceivedTimestamp: how long a WATCH was held, say. */
  readonly durationMs: number;
  /** responseStatus.code; 0 when the event has none (a Panic may not). */
  readonly code: number;
  /** A resource request's target; undefined for a non-resource URL (/healthz, /metrics). */
  readonly ref?: ResourceRef;
  /** requestURI's path. */
  readonly path: string;
  readonly query: RequestQuery;
  /** The request object's JSON size, where the level (Request, RequestResponse) logged it. */
  readonly requestBytes?: number;
}

/** What cannot be read as an event, each named with its line number in the summary. */
export type LineProblem =
  | 'invalid-json' // a truncated line or one that is not JSON
  | 'not-an-event' // JSON, but not an audit Event
  | 'unknown-api-version'
  | 'no-user' // an event without user.username
  | 'no-timestamp'; // an event without a valid requestReceivedTimestamp

export const LINE_PROBLEMS: Readonly<Record<LineProblem, string>> = {
  'invalid-json': 'truncated or not JSON',
  'not-an-event': 'JSON, but not an audit.k8s.io Event',
  'unknown-api-version': `an Event of another apiVersion than ${AUDIT_API_VERSION}`,
  'no-user': 'an Event without user.username',
  'no-timestamp': 'an Event without a valid requestReceivedTimestamp',
};

export type ParsedLine =
  | { readonly kind: 'request'; readonly request: AuditRequest; readonly stage: string }
  | { readonly kind: 'skipped'; readonly stage: string }
  | { readonly kind: 'blank' }
  | { readonly kind: 'problem'; readonly problem: LineProblem; readonly detail: string };

/** The opening the API server writes for every v1 Event (Go marshals fields in order). */
const V1_PREFIX = `{"kind":"Event","apiVersion":"${AUDIT_API_VERSION}",`;
const STAGE_KEY = '"stage":"';

/**
 * The stage of a well-formed v1 event line without parsing it, when it is one that is skipped;
 * undefined when the line has to be parsed. Most of a log that logs every stage is
 * RequestReceived events, which this spares a JSON.parse.
 */
function skippedStageOf(text: string): string | undefined {
  if (!text.startsWith(V1_PREFIX) || text.charCodeAt(text.length - 1) !== 125 /* } */) {
    return undefined;
  }
  const at = text.indexOf(STAGE_KEY, V1_PREFIX.length);
  if (at === -1 || at > 400) return undefined;
  const start = at + STAGE_KEY.length;
  const end = text.indexOf('"', start);
  const stage = text.slice(start, end);
  return FINAL_STAGES.has(stage) || stage === '' ? undefined : stage;
}

/** The time prefix (to the second) last seen, and its epoch ms: consecutive events share it. */
let lastSecond = '';
let lastSecondMs = NaN;

/**
 * Epoch ms of an RFC 3339 time as the API server writes them (`2026-12-02T10:07:17.680123Z`):
 * the part to the second is parsed once per second of log, the fraction by hand. Anything else
 * goes through Date.parse.
 */
export function timestampMs(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  if (value.length < 20 || value.charCodeAt(19) !== 46 /* . */ || !value.endsWith('Z')) {
    return Date.parse(value);
  }
  const second = value.slice(0, 19);
  if (second !== lastSecond) {
    lastSecondMs = Date.parse(`${second}Z`);
    lastSecond = second;
  }
  const fraction = Number(`0${value.slice(19, -1)}`);
  return Number.isFinite(fraction) ? lastSecondMs + fraction * 1000 : NaN;
}

/**
 * The line without its request and response objects, and the request object's JSON length. Go
 * writes them between `responseStatus` and `requestReceivedTimestamp`; a RequestResponse log's
 * LIST responses can be megabytes, which would otherwise be parsed only to be thrown away.
 */
function withoutBodies(text: string): { text: string; requestBytes?: number } {
  const req = text.indexOf(',"requestObject":');
  const res = text.indexOf(',"responseObject":');
  const start = req !== -1 ? req : res;
  if (start === -1) return { text };
  const end = text.indexOf(',"requestReceivedTimestamp":', start);
  if (end === -1) return { text };
  const cut = `${text.slice(0, start)}${text.slice(end)}`;
  if (req === -1) return { text: cut };
  const reqEnd = res !== -1 && res > req ? res : end;
  return { text: cut, requestBytes: reqEnd - req - ',"requestObject":'.length };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The query parameters of `requestURI` that matter to the server's work. */
export function queryOf(search: string): RequestQuery {
  if (search === '') return {};
  const params = new URLSearchParams(search);
  const limit = Number(params.get('limit') ?? NaN);
  const q: { -readonly [K in keyof RequestQuery]: RequestQuery[K] } = {};
  const label = params.get('labelSelector');
  const field = params.get('fieldSelector');
  const rv = params.get('resourceVersion');
  const rvMatch = params.get('resourceVersionMatch');
  if (label !== null && label !== '') q.labelSelector = label;
  if (field !== null && field !== '') q.fieldSelector = field;
  if (Number.isInteger(limit) && limit > 0) q.limit = limit;
  if (rv !== null) q.resourceVersion = rv;
  if (rvMatch !== null && rvMatch !== '') q.resourceVersionMatch = rvMatch;
  return q;
}

/** The verb as APF and the server's metrics see it: a LIST with watch=true is a WATCH. */
function verbOf(verb: string, search: string): string {
  if (verb !== 'list' || search === '') return verb;
  const watch = new URLSearchParams(search).get('watch');
  return watch === 'true' || watch === '1' ? 'watch' : verb;
}

function refOf(objectRef: unknown): ResourceRef | undefined {
  if (!isObject(objectRef)) return undefined;
  const resource = str(objectRef['resource']);
  if (resource === undefined) return undefined;
  const ref: { -readonly [K in keyof ResourceRef]: ResourceRef[K] } = {
    group: str(objectRef['apiGroup']) ?? '',
    version: str(objectRef['apiVersion']) ?? 'v1',
    resource,
  };
  const sub = str(objectRef['subresource']);
  const namespace = str(objectRef['namespace']);
  const name = str(objectRef['name']);
  if (sub !== undefined) ref.subresource = sub;
  if (namespace !== undefined) ref.namespace = namespace;
  if (name !== undefined) ref.name = name;
  return ref;
}

/** Reads one line of an audit log. Never throws: what it cannot read is a `problem`. */
export function parseAuditLine(text: string): ParsedLine {
  if (text.trim() === '') return { kind: 'blank' };
  const skipped = skippedStageOf(text);
  if (skipped !== undefined) return { kind: 'skipped', stage: skipped };
  let value: unknown;
  const bodies = withoutBodies(text);
  try {
    value = JSON.parse(bodies.text);
  } catch (err) {
    return { kind: 'problem', problem: 'invalid-json', detail: (err as Error).message };
  }
  if (!isObject(value) || value['kind'] !== 'Event') {
    return { kind: 'problem', problem: 'not-an-event', detail: 'no "kind": "Event"' };
  }
  if (value['apiVersion'] !== AUDIT_API_VERSION) {
    return {
      kind: 'problem',
      problem: 'unknown-api-version',
      detail: `apiVersion ${JSON.stringify(value['apiVersion'] ?? null)}`,
    };
  }
  const stage = str(value['stage']) ?? '';
  if (!FINAL_STAGES.has(stage)) return { kind: 'skipped', stage: stage || '(none)' };
  const user = isObject(value['user']) ? value['user'] : undefined;
  const username = str(user?.['username']);
  if (username === undefined) {
    return { kind: 'problem', problem: 'no-user', detail: 'no user.username' };
  }
  const receivedMs = timestampMs(value['requestReceivedTimestamp']);
  if (!Number.isFinite(receivedMs)) {
    return {
      kind: 'problem',
      problem: 'no-timestamp',
      detail: `requestReceivedTimestamp ${JSON.stringify(value['requestReceivedTimestamp'] ?? null)}`,
    };
  }
  const uri = str(value['requestURI']) ?? '/';
  const q = uri.indexOf('?');
  const path = q === -1 ? uri : uri.slice(0, q);
  const search = q === -1 ? '' : uri.slice(q + 1);
  const groups = Array.isArray(user?.['groups'])
    ? (user['groups'] as unknown[]).filter((g): g is string => typeof g === 'string')
    : [];
  const status = isObject(value['responseStatus']) ? value['responseStatus'] : undefined;
  const code = typeof status?.['code'] === 'number' ? status['code'] : 0;
  const ref = refOf(value['objectRef']);
  const request: { -readonly [K in keyof AuditRequest]: AuditRequest[K] } = {
    user: username,
    groups,
    verb: verbOf(str(value['verb']) ?? 'unknown', search),
    receivedMs,
    durationMs: Math.max(0, (timestampMs(value['stageTimestamp']) || receivedMs) - receivedMs),
    code,
    path,
    query: queryOf(search),
  };
  if (ref !== undefined) request.ref = ref;
  if (bodies.requestBytes !== undefined) request.requestBytes = bodies.requestBytes;
  else if (value['requestObject'] !== undefined) {
    // Not where Go puts it: measured the slow way.
    request.requestBytes = JSON.stringify(value['requestObject']).length;
  }
  return { kind: 'request', request, stage };
}
