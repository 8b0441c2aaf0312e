// From a Tally (what a log adds up to) to a scenario of `replay` groups and its summary. Pure:
// the tally and the options in, plain objects out; the CLI writes them.
import { createHash } from 'node:crypto';
import {
  BODY_VERBS,
  REPLAY_TYPE,
  REPLAY_VERBS,
  WRITABLE_RESOURCES,
  type ReplayActorGroupInput,
  type ReplayMixEntryInput,
} from '../actors/replay/schema.js';
import { API_VERSION } from '../scenario/index.js';
import { formatDuration } from '../validation/units.js';
import { LINE_PROBLEMS, type LineProblem } from './event.js';
import { defaultPriorityLevel } from './priority.js';
import type { FlowTally, InputTally, KindTally, RequestKind, Tally } from './tally.js';

export interface DeriveOptions {
  /** metadata.name of the scenario. */
  readonly name: string;
  /** The length of a step of the derived timelines, ms (default 10 s). */
  readonly resolutionMs: number;
  /** Time runs `speed` times as fast: steps get shorter, rates higher. */
  readonly speed: number;
  /** Rates are multiplied by `scale`. */
  readonly scale: number;
  /** Keep the `top` busiest flows; merge the rest into one "other" group per priority level. */
  readonly top?: number;
  /** Hash user names (groups are kept: they decide the FlowSchema). */
  readonly anonymize: boolean;
  /**
   * `exact`: each flow's group re-issues every recorded request at its recorded offset (the
   * tally must have kept them); merged "other" groups stay `timeline`.
   */
  readonly mode?: 'timeline' | 'exact';
  /** Payload bytes of a write whose size the log's level did not record. */
  readonly defaultSize: number;
  /** The window the tally kept, epoch ms; else the first and last request's. */
  readonly fromMs?: number;
  readonly toMs?: number;
}

/** The tally's resolution is finer than the scenario's, so steps can start at the first event. */
export const TALLY_STEPS_PER_STEP = 10;

export interface DerivedGroupSummary {
  readonly name: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly flows: number;
  readonly requests: number;
  readonly priorityLevel: string;
  /** The busiest step's rate, requests/s in the log's time. */
  readonly peakRps: number;
}

export interface DeriveSummary {
  readonly inputs: readonly InputTally[];
  readonly requests: number;
  readonly blankLines: number;
  readonly outsideWindow: number;
  readonly skippedByStage: Readonly<Record<string, number>>;
  readonly problems: readonly {
    readonly problem: LineProblem;
    readonly meaning: string;
    readonly count: number;
    readonly lines: readonly string[];
  }[];
  readonly window: { readonly from: string; readonly to: string; readonly durationMs: number };
  readonly resolutionMs: number;
  readonly flows: number;
  readonly groups: readonly DerivedGroupSummary[];
  readonly byVerbResource: readonly {
    readonly verb: string;
    readonly resource: string;
    readonly count: number;
  }[];
  readonly peak: { readonly rps: number; readonly at: string };
  readonly notRepresented: readonly { readonly what: string; readonly count: number }[];
}

/** A scenario as written to a file (its input side), with replay groups only. */
export interface DerivedScenario {
  readonly apiVersion: string;
  readonly kind: 'Scenario';
  readonly metadata: { readonly name: string; readonly description: string };
  readonly spec: {
    readonly duration: string;
    readonly seed: number;
    readonly fixtures: readonly {
      kind: 'ConfigMap' | 'Secret';
      count: number;
      size: number;
      namePrefix: string;
    }[];
    readonly actors: readonly ReplayActorGroupInput[];
  };
}

/** The group APF exempts and apfbench never loads as. */
const ADMIN_GROUP = 'system:masters';

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/**
 * The user a scenario names for a recorded one: itself, or with `anonymize` a hash, keeping the
 * prefix that makes a service account or a node user (the kind of user, not who it is).
 */
export function replayUser(user: string, anonymize: boolean): string {
  if (!anonymize) return user;
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(user);
  if (sa !== null) return `system:serviceaccount:ns-${hash(sa[1]!)}:sa-${hash(sa[2]!)}`;
  const node = /^system:node:(.+)$/.exec(user);
  if (node !== null) return `system:node:node-${hash(node[1]!)}`;
  return `user-${hash(user)}`;
}

/** A DNS label from a user name: lowercase, [a-z0-9-], at most 63 characters. */
export function groupNameOf(user: string, taken: Set<string>): string {
  const base =
    `flow-${user
      .toLowerCase()
      .replace(/^system:serviceaccount:/, 'sa-')
      .replace(/^system:/, 'system-')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')}`.slice(0, 55) || 'flow';
  let name = base.replace(/-+$/, '');
  for (let i = 2; taken.has(name); i++) name = `${base.replace(/-+$/, '')}-${i}`;
  taken.add(name);
  return name;
}

const resourceOf = (kind: RequestKind) =>
  kind.resource === undefined
    ? (kind.path ?? '')
    : `${kind.group === '' || kind.group === undefined ? '' : `${kind.group}/`}${kind.resource}${kind.subresource === undefined ? '' : `/${kind.subresource}`}`;

/** Why a request kind cannot be replayed, or undefined when it can. */
export function unrepresentable(kind: RequestKind): string | undefined {
  const verb = kind.verb;
  if (!(REPLAY_VERBS as readonly string[]).includes(verb)) return `verb ${verb}`;
  if (kind.resource === undefined) return verb === 'get' ? undefined : `${verb} of a URL`;
  const writes = BODY_VERBS.includes(verb as never) || verb === 'delete';
  if (!writes) return undefined;
  if (
    kind.subresource !== undefined ||
    !(WRITABLE_RESOURCES as readonly string[]).includes(kind.resource)
  ) {
    return `${verb} of ${resourceOf(kind)}`;
  }
  if (kind.namespaced !== true) return `cluster-wide ${verb}`;
  return undefined;
}

/** Merges kind tallies of the same kind (an "other" group's flows). */
function mergeKinds(flows: readonly FlowTally[]): KindTally[] {
  const merged = new Map<string, KindTally>();
  for (const flow of flows) {
    for (const [key, k] of flow.kinds) {
      const m = merged.get(key);
      if (m === undefined) {
        merged.set(key, { ...k, codes: new Map(k.codes) });
        continue;
      }
      m.count += k.count;
      for (const [code, n] of k.codes) m.codes.set(code, (m.codes.get(code) ?? 0) + n);
      for (const name of k.names.values) m.names.add(name);
      m.bytes += k.bytes;
      m.durationMs += k.durationMs;
      m.sized += k.sized;
    }
  }
  return [...merged.values()];
}

function mixEntryOf(k: KindTally, defaultSize: number): ReplayMixEntryInput {
  const kind = k.kind;
  const entry: Record<string, unknown> = { verb: kind.verb };
  if (kind.resource === undefined) {
    entry['path'] = kind.path;
  } else {
    if (kind.group !== '') entry['group'] = kind.group;
    if (kind.version !== 'v1') entry['version'] = kind.version;
    entry['resource'] = kind.resource;
    if (kind.subresource !== undefined) entry['subresource'] = kind.subresource;
    if (kind.namespaced === false) entry['namespaced'] = false;
    if (kind.named === true) {
      entry['named'] = true;
      entry['objects'] = Math.max(1, k.names.values.size);
    }
  }
  for (const field of ['labelSelector', 'fieldSelector', 'limit', 'resourceVersion'] as const) {
    if (kind[field] !== undefined) entry[field] = kind[field];
  }
  if (kind.verb === 'watch') {
    entry['watchSeconds'] = Math.max(1, Math.round(k.durationMs / k.count / 1000));
  }
  entry['weight'] = k.count;
  if (BODY_VERBS.includes(kind.verb as never)) {
    entry['size'] = k.sized > 0 ? Math.round(k.bytes / k.sized) : defaultSize;
  }
  entry['codes'] = Object.fromEntries(
    [...k.codes].sort(([a], [b]) => a - b).map(([code, n]) => [String(code), n]),
  );
  return entry as ReplayMixEntryInput;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The scenario and its summary. Throws nothing: a tally without a request gives a scenario
 * without groups, which the caller refuses (the summary says why).
 */
export function deriveScenario(
  tally: Tally,
  opts: DeriveOptions,
): { scenario: DerivedScenario; summary: DeriveSummary } {
  const flows = [...tally.flows.values()].sort(
    (a, b) => b.count - a.count || a.key.localeCompare(b.key),
  );
  const fine = tally.resolutionMs;
  const perStep = Math.max(1, Math.round(opts.resolutionMs / fine));
  const firstMs =
    opts.fromMs ?? (flows.length === 0 ? 0 : Math.min(...flows.map((f) => f.firstMs)));
  const lastMs =
    opts.toMs ?? (flows.length === 0 ? firstMs : Math.max(...flows.map((f) => f.lastMs)) + 1);
  const firstFine = Math.floor(firstMs / fine);
  const steps = Math.max(1, Math.ceil((lastMs - firstMs) / opts.resolutionMs));
  const stepSeconds = opts.resolutionMs / 1000;
  /** Requests per coarse step of the flows given. */
  const countsOf = (group: readonly FlowTally[]) => {
    const counts = new Array<number>(steps).fill(0);
    for (const flow of group) {
      const from = Math.max(flow.steps.first, firstFine);
      for (let s = from; s < flow.steps.first + flow.steps.counts.length; s++) {
        const i = Math.floor((s - firstFine) / perStep);
        if (i >= 0 && i < steps) counts[i]! += flow.steps.at(s);
      }
    }
    return counts;
  };

  const notRepresented = new Map<string, number>();
  const unrep = (what: string, n: number) =>
    notRepresented.set(what, (notRepresented.get(what) ?? 0) + n);
  const taken = new Set<string>();
  const actors: ReplayActorGroupInput[] = [];
  const groups: DerivedGroupSummary[] = [];
  const fixtureObjects = { configmaps: 0, secrets: 0 };

  const addGroup = (
    name: string,
    user: string,
    identity: string,
    members: readonly FlowTally[],
    priorityLevel: string,
  ) => {
    const kinds = mergeKinds(members);
    const total = members.reduce((n, f) => n + f.count, 0);
    const overflowed = members.reduce((n, f) => n + f.overflowed, 0);
    if (overflowed > 0) unrep('request kinds past the per-flow cap', overflowed);
    const mix: ReplayMixEntryInput[] = [];
    /** A kind's index in its flow → its entry's in `mix` (a single flow's). */
    const entryOfKind = new Map<number, number>();
    let represented = 0;
    for (const k of kinds.sort((a, b) => b.count - a.count)) {
      const why = unrepresentable(k.kind);
      if (why !== undefined) {
        unrep(why, k.count);
        continue;
      }
      represented += k.count;
      entryOfKind.set(k.index, mix.length);
      mix.push(mixEntryOf(k, opts.defaultSize));
      const r = k.kind.resource;
      if (k.kind.named === true && (r === 'configmaps' || r === 'secrets')) {
        fixtureObjects[r] = Math.max(fixtureObjects[r], k.names.values.size);
      }
    }
    const counts = countsOf(members);
    const peakRps = Math.max(...counts) / stepSeconds;
    groups.push({
      name,
      user,
      groups: members[0]!.groups,
      flows: members.length,
      requests: total,
      priorityLevel,
      peakRps: round3(peakRps),
    });
    if (mix.length === 0) return;
    // Requests that cannot be replayed are left out of the rates too, not sent as other kinds.
    const keep = represented / Math.max(1, total - overflowed);
    const factor = (keep * opts.scale * opts.speed) / stepSeconds / members.length;
    const exact =
      opts.mode === 'exact' && members.length === 1 ? exactRequests(members[0]!, entryOfKind) : {};
    actors.push({
      name,
      type: REPLAY_TYPE,
      count: members.length,
      identity,
      groups: [...members[0]!.groups],
      ...exact,
      resolution: formatDuration(Math.max(1, Math.round(opts.resolutionMs / opts.speed))),
      rates: counts.map((c) => round3(c * factor)),
      mix,
      source: {
        user: opts.anonymize && members.length === 1 ? identity : user,
        flows: members.length,
        priorityLevel,
      },
    });
  };

  // apfbench never sends load as an admin: system:masters is exempt from APF, and the admin
  // identity is only for set-up. Such flows are counted as not represented.
  const loadFlows = flows.filter((f) => {
    if (!f.groups.includes(ADMIN_GROUP)) return true;
    unrep(`requests of ${ADMIN_GROUP} users (exempt; never replayed)`, f.count);
    return false;
  });
  /** A flow's represented requests in time order, as offsets from the start and mix entries. */
  const exactRequests = (flow: FlowTally, entryOfKind: ReadonlyMap<number, number>) => {
    const log = flow.requests;
    if (log === undefined) return {};
    const order: number[] = [];
    for (let i = 0; i < log.length; i++) {
      if (entryOfKind.has(log.kinds[i]!)) order.push(i);
    }
    order.sort((a, b) => log.times[a]! - log.times[b]!);
    return {
      mode: 'exact' as const,
      offsets: order.map((i) => Math.round(((log.times[i]! - firstMs) / opts.speed) * 10) / 10),
      entries: order.map((i) => entryOfKind.get(log.kinds[i]!)!),
    };
  };

  const top = opts.top ?? loadFlows.length;
  for (const flow of loadFlows.slice(0, top)) {
    const user = replayUser(flow.user, opts.anonymize);
    addGroup(
      groupNameOf(user, taken),
      user,
      user,
      [flow],
      defaultPriorityLevel(flow.user, flow.groups),
    );
  }
  const others = new Map<string, FlowTally[]>();
  for (const flow of loadFlows.slice(top)) {
    const pl = defaultPriorityLevel(flow.user, flow.groups);
    others.set(pl, [...(others.get(pl) ?? []), flow]);
  }
  for (const [pl, members] of [...others].sort(([a], [b]) => a.localeCompare(b))) {
    const name = groupNameOf(`other-${pl}`, taken);
    addGroup(name, `(${members.length} flows)`, `${name}-{i}`, members, pl);
  }

  const byVerbResource = new Map<string, { verb: string; resource: string; count: number }>();
  for (const flow of flows) {
    for (const k of flow.kinds.values()) {
      const resource = resourceOf(k.kind);
      const key = `${k.kind.verb} ${resource}`;
      const e = byVerbResource.get(key) ?? { verb: k.kind.verb, resource, count: 0 };
      e.count += k.count;
      byVerbResource.set(key, e);
    }
  }
  const all = countsOf(flows);
  const peakStep = all.indexOf(Math.max(...all));

  const summary: DeriveSummary = {
    inputs: tally.inputs,
    requests: tally.requests,
    blankLines: tally.blank,
    outsideWindow: tally.outsideWindow,
    skippedByStage: Object.fromEntries(tally.skippedStages),
    problems: [...tally.problems].map(([problem, p]) => ({
      problem,
      meaning: LINE_PROBLEMS[problem],
      count: p.count,
      lines: p.lines,
    })),
    window: { from: iso(firstMs), to: iso(lastMs), durationMs: lastMs - firstMs },
    resolutionMs: opts.resolutionMs,
    flows: flows.length,
    groups,
    byVerbResource: [...byVerbResource.values()].sort(
      (a, b) =>
        b.count - a.count || `${a.verb} ${a.resource}`.localeCompare(`${b.verb} ${b.resource}`),
    ),
    peak: {
      rps: round3((all[peakStep] ?? 0) / stepSeconds),
      at: iso(firstMs + peakStep * opts.resolutionMs),
    },
    notRepresented: [...notRepresented]
      .map(([what, count]) => ({ what, count }))
      .sort((a, b) => b.count - a.count),
  };
  const fixtures = (['configmaps', 'secrets'] as const)
    .filter((r) => fixtureObjects[r] > 0)
    .map((r) => ({
      kind: r === 'configmaps' ? ('ConfigMap' as const) : ('Secret' as const),
      count: fixtureObjects[r],
      size: opts.defaultSize,
      namePrefix: `replay-${r}`,
    }));
  return {
    scenario: {
      apiVersion: API_VERSION,
      kind: 'Scenario',
      metadata: {
        name: opts.name,
        description: `Replay of ${tally.requests} requests of ${flows.length} flows recorded ${iso(firstMs)} to ${iso(lastMs)}.`,
      },
      spec: {
        duration: formatDuration(
          Math.max(1000, Math.ceil((steps * opts.resolutionMs) / opts.speed)),
        ),
        seed: 1,
        fixtures,
        actors,
      },
    },
    summary,
  };
}
