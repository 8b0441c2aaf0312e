// What a log adds up to, per flow: the counts that a scenario is derived from. Memory grows with
// the number of flows, of request kinds per flow and of time steps, never with the log's length
// (object names and namespaces are counted up to a cap, timelines are one counter per step).
import type { AuditRequest, LineProblem } from './event.js';

/** Distinct values kept per set before it only counts (object names, namespaces). */
export const DISTINCT_CAP = 1000;
/** Request kinds kept per flow; requests of further kinds are counted as not represented. */
export const KINDS_PER_FLOW_CAP = 200;
/** Line numbers kept per problem for the summary; the rest are counted. */
export const LINES_PER_PROBLEM = 20;

/**
 * What sets one request apart from another for the server's work and for APF: the verb, the
 * resource and its scope, the selectors, the page size and the resourceVersion semantics.
 */
export interface RequestKind {
  readonly verb: string;
  /** API group ('' for core), version, plural; undefined for a non-resource URL. */
  readonly group?: string;
  readonly version?: string;
  readonly resource?: string;
  readonly subresource?: string;
  /** Namespaced (a namespace in the request) or cluster-wide. */
  readonly namespaced?: boolean;
  /** A request for one object by name (get, update, patch, delete of a name). */
  readonly named?: boolean;
  /** The path of a non-resource URL (/healthz, /version). */
  readonly path?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly resourceVersion?: ResourceVersionSemantics;
}

/**
 * How a read's resourceVersion tells the server what to serve (the Kubernetes API's
 * "resource versions" semantics): `latest` (unset: a quorum read, or a watch from now),
 * `any` ("0": whatever the cache holds), `notOlderThan` (a given version, the default match),
 * `exact` (resourceVersionMatch=Exact, or a watch from that version).
 */
export type ResourceVersionSemantics = 'latest' | 'any' | 'notOlderThan' | 'exact';

const READ_VERBS = new Set(['get', 'list', 'watch']);

export function resourceVersionSemantics(
  verb: string,
  rv: string | undefined,
  match: string | undefined,
): ResourceVersionSemantics | undefined {
  if (!READ_VERBS.has(verb)) return undefined;
  if (rv === undefined || rv === '') return 'latest';
  if (rv === '0' && match !== 'Exact') return 'any';
  if (match === 'Exact' || verb === 'watch') return 'exact';
  return 'notOlderThan';
}

export function requestKindOf(r: AuditRequest): RequestKind {
  const rv = resourceVersionSemantics(
    r.verb,
    r.query.resourceVersion,
    r.query.resourceVersionMatch,
  );
  const kind: { -readonly [K in keyof RequestKind]: RequestKind[K] } = { verb: r.verb };
  if (r.ref === undefined) {
    kind.path = r.path;
  } else {
    kind.group = r.ref.group;
    kind.version = r.ref.version;
    kind.resource = r.ref.resource;
    if (r.ref.subresource !== undefined) kind.subresource = r.ref.subresource;
    kind.namespaced = r.ref.namespace !== undefined;
    if (r.ref.name !== undefined && r.verb !== 'create') kind.named = true;
  }
  if (r.query.labelSelector !== undefined) kind.labelSelector = r.query.labelSelector;
  if (r.query.fieldSelector !== undefined) kind.fieldSelector = r.query.fieldSelector;
  if (r.query.limit !== undefined && (r.verb === 'list' || r.verb === 'watch')) {
    kind.limit = r.query.limit;
  }
  if (rv !== undefined) kind.resourceVersion = rv;
  return kind;
}

/** A set that remembers up to `cap` values and then only counts whether there were more. */
export class CappedSet {
  readonly values = new Set<string>();
  overflow = false;
  constructor(private readonly cap = DISTINCT_CAP) {}
  add(v: string): void {
    if (this.values.has(v)) return;
    if (this.values.size < this.cap) this.values.add(v);
    else this.overflow = true;
  }
}

/** The requests of one kind in one flow. */
export interface KindTally {
  readonly kind: RequestKind;
  /** Its place in its flow's map (insertion order), as RequestLog names it. */
  readonly index: number;
  count: number;
  readonly codes: Map<number, number>;
  readonly names: CappedSet;
  readonly namespaces: CappedSet;
  /** Request-object bytes and how many requests logged one (level Request and above). */
  bytes: number;
  sized: number;
  /** Summed durations (a WATCH's is how long it was held), ms. */
  durationMs: number;
}

/**
 * A growable counter per time step. Steps are absolute (epoch ms ÷ resolution), so that events
 * in any order land in the same place, and kept from the flow's first step to its last.
 */
export class StepCounter {
  first = 0;
  counts = new Uint32Array(0);

  add(step: number): void {
    if (this.counts.length === 0) {
      this.first = step;
      this.counts = new Uint32Array(16);
    }
    if (step < this.first) {
      const grown = new Uint32Array(this.counts.length + (this.first - step) + 16);
      grown.set(this.counts, this.first - step + 16);
      this.counts = grown;
      this.first = step - 16;
    } else if (step - this.first >= this.counts.length) {
      const grown = new Uint32Array(Math.max(this.counts.length * 2, step - this.first + 16));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[step - this.first]! += 1;
  }

  /** The count of step `step` (absolute). */
  at(step: number): number {
    const i = step - this.first;
    return i >= 0 && i < this.counts.length ? this.counts[i]! : 0;
  }
}

/**
 * Every request of a flow, for exact replay: its received time and its kind (the index of its
 * KindTally in the flow's map, in insertion order). 12 bytes a request: kept only when asked.
 */
export class RequestLog {
  times = new Float64Array(64);
  kinds = new Uint32Array(64);
  length = 0;

  push(ms: number, kind: number): void {
    if (this.length === this.times.length) {
      const times = new Float64Array(this.length * 2);
      const kinds = new Uint32Array(this.length * 2);
      times.set(this.times);
      kinds.set(this.kinds);
      this.times = times;
      this.kinds = kinds;
    }
    this.times[this.length] = ms;
    this.kinds[this.length++] = kind;
  }
}

/** One flow: a user with its groups, as APF's flow distinguisher by user sees it. */
export interface FlowTally {
  readonly key: string;
  readonly user: string;
  readonly groups: readonly string[];
  count: number;
  readonly kinds: Map<string, KindTally>;
  /** Requests of kinds past KINDS_PER_FLOW_CAP. */
  overflowed: number;
  readonly steps: StepCounter;
  /** Each request, when the tally keeps them (exact replay). */
  readonly requests?: RequestLog;
  firstMs: number;
  lastMs: number;
}

/** A problem line, as the summary names it. */
export interface ProblemTally {
  count: number;
  /** `file:line: detail`, the first LINES_PER_PROBLEM of them. */
  readonly lines: string[];
}

/** Where the events of one input came from, and where it stopped if it broke. */
export interface InputTally {
  readonly name: string;
  lines: number;
  bytes: number;
  /** Set when the input ended early (a gzip cut short, a read error). */
  brokeAfterLine?: number;
  brokeBecause?: string;
}

/** A user with its groups as given: an API server lists a user's groups in the same order. */
export const flowKeyOf = (user: string, groups: readonly string[]) =>
  `${user}\u0000${groups.join('\u0000')}`;

/** Everything a log adds up to; `add` once per request, in any order. */
export class Tally {
  readonly flows = new Map<string, FlowTally>();
  readonly skippedStages = new Map<string, number>();
  readonly problems = new Map<LineProblem, ProblemTally>();
  readonly inputs: InputTally[] = [];
  /** Requests outside --from/--to. */
  outsideWindow = 0;
  requests = 0;
  blank = 0;

  constructor(
    readonly resolutionMs: number,
    readonly window: { readonly fromMs?: number; readonly toMs?: number } = {},
    /** Keep every request's time and kind, for exact replay: memory grows with the log. */
    readonly keepRequests = false,
  ) {}

  add(r: AuditRequest): void {
    if (
      (this.window.fromMs !== undefined && r.receivedMs < this.window.fromMs) ||
      (this.window.toMs !== undefined && r.receivedMs >= this.window.toMs)
    ) {
      this.outsideWindow++;
      return;
    }
    this.requests++;
    const key = flowKeyOf(r.user, r.groups);
    let flow = this.flows.get(key);
    if (flow === undefined) {
      flow = {
        key,
        user: r.user,
        groups: [...r.groups],
        count: 0,
        kinds: new Map(),
        overflowed: 0,
        steps: new StepCounter(),
        ...(this.keepRequests ? { requests: new RequestLog() } : {}),
        firstMs: r.receivedMs,
        lastMs: r.receivedMs,
      };
      this.flows.set(key, flow);
    }
    flow.count++;
    flow.firstMs = Math.min(flow.firstMs, r.receivedMs);
    flow.lastMs = Math.max(flow.lastMs, r.receivedMs);
    flow.steps.add(Math.floor(r.receivedMs / this.resolutionMs));
    const kind = requestKindOf(r);
    const kindKey = JSON.stringify(kind);
    let k = flow.kinds.get(kindKey);
    if (k === undefined) {
      if (flow.kinds.size >= KINDS_PER_FLOW_CAP) {
        flow.overflowed++;
        return;
      }
      k = {
        kind,
        index: flow.kinds.size,
        count: 0,
        codes: new Map(),
        names: new CappedSet(),
        namespaces: new CappedSet(),
        bytes: 0,
        sized: 0,
        durationMs: 0,
      };
      flow.kinds.set(kindKey, k);
    }
    flow.requests?.push(r.receivedMs, k.index);
    k.count++;
    k.durationMs += r.durationMs;
    k.codes.set(r.code, (k.codes.get(r.code) ?? 0) + 1);
    if (r.ref?.name !== undefined) k.names.add(r.ref.name);
    if (r.ref?.namespace !== undefined) k.namespaces.add(r.ref.namespace);
    if (r.requestBytes !== undefined) {
      k.bytes += r.requestBytes;
      k.sized++;
    }
  }

  skip(stage: string): void {
    this.skippedStages.set(stage, (this.skippedStages.get(stage) ?? 0) + 1);
  }

  problem(problem: LineProblem, where: string, detail: string): void {
    let p = this.problems.get(problem);
    if (p === undefined) {
      p = { count: 0, lines: [] };
      this.problems.set(problem, p);
    }
    p.count++;
    if (p.lines.length < LINES_PER_PROBLEM) p.lines.push(`${where}: ${detail}`);
  }
}
