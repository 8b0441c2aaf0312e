// Planning a profile's changes and their undoing: pure functions over objects as read from the
// server, so that what apfbench will do can be shown (`profile diff`) and tested without one.
import type { KubeObject } from '../kube/index.js';
import {
  FLOWCONTROL_API_VERSION,
  SUGGESTED,
  type FlowControlKind,
  type Profile,
} from './schema.js';

/**
 * On suggested objects: "true" lets the API server rewrite the spec to its own default on
 * start-up and periodically; apfbench sets "false" on those it changes so the change stays.
 */
export const AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

export interface ObjectRef {
  readonly kind: FlowControlKind;
  readonly name: string;
}

export type FlowControlObject = KubeObject & { spec?: unknown; status?: unknown };

/** `FlowSchema/global-default` */
export const refKey = (ref: ObjectRef): string => `${ref.kind}/${ref.name}`;

/** A field that changes, as a path from the object root (`spec.limited.lendablePercent`). */
export interface Change {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

export type Action =
  | (ObjectRef & { readonly op: 'create'; readonly object: FlowControlObject })
  | (ObjectRef & {
      readonly op: 'update';
      readonly object: FlowControlObject;
      readonly changes: readonly Change[];
    })
  | (ObjectRef & { readonly op: 'delete' })
  | (ObjectRef & { readonly op: 'unchanged' });

/**
 * What a profile touches, as it was before apfbench changed it (`object: null`: absent).
 * Restoring makes each of these objects so again; nothing else is touched.
 */
export interface Snapshot {
  readonly version: 1;
  readonly takenAt: string;
  readonly server: string;
  readonly profiles: readonly string[];
  readonly objects: readonly (ObjectRef & { readonly object: FlowControlObject | null })[];
}

export const isSuggested = (ref: ObjectRef): boolean =>
  (SUGGESTED[ref.kind] as readonly string[]).includes(ref.name);

/** Every object the profile creates, changes or removes. */
export function touchedRefs(profile: Profile): ObjectRef[] {
  return [
    ...profile.spec.priorityLevels.map((o) => ({
      kind: 'PriorityLevelConfiguration' as const,
      name: o.metadata.name,
    })),
    ...profile.spec.flowSchemas.map((o) => ({
      kind: 'FlowSchema' as const,
      name: o.metadata.name,
    })),
    ...profile.spec.remove.map((r) => ({ kind: r.kind, name: r.name })),
  ];
}

/** The profile's objects as they are sent to the server (before defaulting). */
export function desiredObjects(profile: Profile): (ObjectRef & { object: FlowControlObject })[] {
  const build = (
    kind: FlowControlKind,
    o: Profile['spec']['flowSchemas'][number] | Profile['spec']['priorityLevels'][number],
  ) => {
    const ref = { kind, name: o.metadata.name };
    const annotations = { ...o.metadata.annotations };
    if (isSuggested(ref)) annotations[AUTOUPDATE_ANNOTATION] = 'false';
    const metadata = {
      name: o.metadata.name,
      ...(o.metadata.labels === undefined ? {} : { labels: { ...o.metadata.labels } }),
      ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
    };
    return {
      ...ref,
      object: { apiVersion: FLOWCONTROL_API_VERSION, kind, metadata, spec: o.spec },
    };
  };
  return [
    ...profile.spec.priorityLevels.map((o) => build('PriorityLevelConfiguration', o)),
    ...profile.spec.flowSchemas.map((o) => build('FlowSchema', o)),
  ];
}

/** An object as it can be written back: no server-managed metadata, no status. */
export function writable(object: FlowControlObject): FlowControlObject {
  const { labels, annotations, name } = object.metadata;
  const rest = { ...object };
  delete rest.status;
  return {
    ...rest,
    metadata: {
      ...(name === undefined ? {} : { name }),
      ...(labels === undefined ? {} : { labels }),
      ...(annotations === undefined ? {} : { annotations }),
    },
  };
}

/**
 * The changes that make `current` (read from the server, or absent) into the profile's objects,
 * and the removals. An update keeps the current labels and annotations and adds the profile's,
 * with autoupdate-spec "false" on a suggested object, and carries the current resourceVersion so
 * that a concurrent change makes it fail rather than be overwritten. `changes` compares specs as
 * sent, before the server's defaulting; `settle` compares again with the server's dry-run answer.
 */
export function planApply(
  profile: Profile,
  current: ReadonlyMap<string, FlowControlObject>,
): Action[] {
  const actions: Action[] = desiredObjects(profile).map(({ kind, name, object }) => {
    const existing = current.get(refKey({ kind, name }));
    if (existing === undefined) return { op: 'create', kind, name, object };
    const metadata = {
      ...object.metadata,
      labels: { ...existing.metadata.labels, ...object.metadata.labels },
      annotations: { ...existing.metadata.annotations, ...object.metadata.annotations },
      ...(existing.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: existing.metadata.resourceVersion }),
    };
    if (
      existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== undefined &&
      !isSuggested({ kind, name })
    ) {
      metadata.annotations[AUTOUPDATE_ANNOTATION] = 'false';
    }
    const updated = { ...object, metadata };
    return { op: 'update', kind, name, object: updated, changes: objectChanges(existing, updated) };
  });
  for (const { kind, name } of profile.spec.remove) {
    const existing = current.get(refKey({ kind, name }));
    actions.push(
      existing === undefined ? { op: 'unchanged', kind, name } : { op: 'delete', kind, name },
    );
  }
  return actions;
}

/**
 * Replaces each update's `changes` with the difference between the current object and the
 * server's dry-run answer (defaults filled in), and turns updates that change nothing into
 * `unchanged`: an object already as the profile wants it is left alone, annotation included.
 */
export function settle(
  actions: readonly Action[],
  current: ReadonlyMap<string, FlowControlObject>,
  dryRun: ReadonlyMap<string, FlowControlObject>,
): Action[] {
  return actions.map((action) => {
    if (action.op !== 'update') return action;
    const before = current.get(refKey(action));
    const after = dryRun.get(refKey(action));
    if (before === undefined || after === undefined) return action;
    const specChanges = diffValues(before.spec, after.spec, 'spec');
    if (specChanges.length === 0) return { op: 'unchanged', kind: action.kind, name: action.name };
    return { ...action, changes: objectChanges(before, after) };
  });
}

/** Spec, label and annotation changes from `a` to `b`. */
export function objectChanges(a: FlowControlObject, b: FlowControlObject): Change[] {
  return [
    ...diffValues(a.metadata.labels ?? {}, b.metadata.labels ?? {}, 'metadata.labels'),
    ...diffValues(
      a.metadata.annotations ?? {},
      b.metadata.annotations ?? {},
      'metadata.annotations',
    ),
    ...diffValues(a.spec, b.spec, 'spec'),
  ];
}

/** Leaf differences between two JSON values; arrays compare as a whole. */
export function diffValues(a: unknown, b: unknown, path: string): Change[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], path === '' ? k : `${path}.${k}`));
  }
  return jsonEqual(a, b) ? [] : [{ path, from: a, to: b }];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  return a === b;
}

/** Takes the snapshot of `refs` from the objects read from the server. */
export function takeSnapshot(
  refs: readonly ObjectRef[],
  current: ReadonlyMap<string, FlowControlObject>,
  meta: { server: string; profile: string; now?: Date },
): Snapshot {
  const unique = new Map(refs.map((r) => [refKey(r), r]));
  return {
    version: 1,
    takenAt: (meta.now ?? new Date()).toISOString(),
    server: meta.server,
    profiles: [meta.profile],
    objects: [...unique.values()].map((r) => {
      const object = current.get(refKey(r));
      return { kind: r.kind, name: r.name, object: object === undefined ? null : writable(object) };
    }),
  };
}

/**
 * A snapshot taken while an older one was still unrestored (a second `profile apply`): the
 * older state of each object wins, since it is the one before apfbench changed anything.
 */
export function mergeSnapshots(older: Snapshot, newer: Snapshot): Snapshot {
  const known = new Set(older.objects.map(refKey));
  return {
    ...older,
    profiles: [...older.profiles, ...newer.profiles],
    objects: [...older.objects, ...newer.objects.filter((o) => !known.has(refKey(o)))],
  };
}

/**
 * The changes that bring every object of `snapshot` back to how it was: deleted when it did
 * not exist, created when it is gone, updated (to the snapshot's spec, labels and annotations,
 * at the current resourceVersion) when it differs.
 */
export function planRestore(
  snapshot: Snapshot,
  current: ReadonlyMap<string, FlowControlObject>,
): Action[] {
  return snapshot.objects.map(({ kind, name, object }): Action => {
    const now = current.get(refKey({ kind, name }));
    if (object === null)
      return now === undefined ? { op: 'unchanged', kind, name } : { op: 'delete', kind, name };
    if (now === undefined) return { op: 'create', kind, name, object: writable(object) };
    const changes = objectChanges(now, object);
    if (changes.length === 0) return { op: 'unchanged', kind, name };
    const target = writable(object);
    return {
      op: 'update',
      kind,
      name,
      changes,
      object: {
        ...target,
        metadata: {
          ...target.metadata,
          ...(now.metadata.resourceVersion === undefined
            ? {}
            : { resourceVersion: now.metadata.resourceVersion }),
        },
      },
    };
  });
}

const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

/** `update FlowSchema global-default` and one indented line per change. */
export function formatActions(actions: readonly Action[]): string[] {
  return actions.flatMap((a) => {
    const head = `${a.op.padEnd(9)} ${a.kind} ${a.name}`;
    if (a.op !== 'update') return [head];
    return [
      head,
      ...a.changes.map((c) => `            ${c.path}: ${show(c.from)} → ${show(c.to)}`),
    ];
  });
}

/** Nominal concurrency shares of a priority level as read from the server. */
export function sharesOf(object: FlowControlObject): number {
  const spec = (object.spec ?? {}) as {
    type?: string;
    limited?: { nominalConcurrencyShares?: number };
    exempt?: { nominalConcurrencyShares?: number };
  };
  if (spec.type === 'Exempt') return spec.exempt?.nominalConcurrencyShares ?? 0;
  return spec.limited?.nominalConcurrencyShares ?? 30;
}

/**
 * kube-apiserver gives priority level i ceil(ServerCL × shares(i) / Σ shares) seats, where
 * ServerCL is --max-requests-inflight + --max-mutating-requests-inflight. This is that
 * computation for every level.
 */
export function nominalSeats(
  shares: Readonly<Record<string, number>>,
  serverConcurrency: number,
): Record<string, number> {
  const sum = Object.values(shares).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(shares).map(([name, s]) => [
      name,
      sum === 0 ? 0 : Math.ceil((serverConcurrency * s) / sum),
    ]),
  );
}

/**
 * Every server concurrency limit that explains the nominal seats the server reports for the
 * given shares (rounding up makes several fit), or none: then the metrics were read while the
 * configuration was changing, or the server computes differently.
 */
export function inferServerConcurrency(
  shares: Readonly<Record<string, number>>,
  observed: Readonly<Record<string, number>>,
): number[] {
  const names = Object.keys(shares);
  if (names.length === 0 || names.some((n) => observed[n] === undefined)) return [];
  const total = names.reduce((sum, n) => sum + (observed[n] ?? 0), 0);
  const fits: number[] = [];
  for (let s = 1; s <= total; s++) {
    const expected = nominalSeats(shares, s);
    if (names.every((n) => expected[n] === observed[n])) fits.push(s);
  }
  return fits;
}

/** Whether `observed` are the seats `shares` get for one of the `candidates` limits. */
export function seatsMatch(
  shares: Readonly<Record<string, number>>,
  candidates: readonly number[],
  observed: Readonly<Record<string, number>>,
): boolean {
  return candidates.some((s) =>
    Object.entries(nominalSeats(shares, s)).every(([name, n]) => observed[name] === n),
  );
}
