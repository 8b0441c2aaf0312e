// Applying a profile to a live API server and putting things back: snapshot, dry-run, apply,
// wait until the server's APF controller runs the new configuration, restore.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApfbenchError, throwIfAborted } from '../errors.js';
import { resources, type KubeClient, type KubeStatus } from '../kube/index.js';
import { ServerMetric, gaugeValues } from '../metrics/server-metrics.js';
import { scrapeMetrics } from '../kube/metrics.js';
import {
  formatActions,
  inferServerConcurrency,
  mergeSnapshots,
  planApply,
  planRestore,
  refKey,
  seatsMatch,
  settle,
  sharesOf,
  takeSnapshot,
  touchedRefs,
  type Action,
  type FlowControlObject,
  type ObjectRef,
  type Snapshot,
} from './plan.js';
import type { FlowControlKind, Profile } from './schema.js';

const resourceOf = (kind: FlowControlKind) =>
  kind === 'FlowSchema' ? resources.flowschemas : resources.prioritylevelconfigurations;

const FIELD_MANAGER = 'apfbench';

/** Every FlowSchema and PriorityLevelConfiguration on the server, by `refKey`. */
export async function readFlowControl(admin: KubeClient): Promise<Map<string, FlowControlObject>> {
  const all = new Map<string, FlowControlObject>();
  for (const kind of ['PriorityLevelConfiguration', 'FlowSchema'] as const) {
    const { items } = await admin.listAll<FlowControlObject>(resourceOf(kind));
    for (const item of items) all.set(refKey({ kind, name: item.metadata.name ?? '' }), item);
  }
  return all;
}

/** The server's verdict on one change, without making it. */
async function send(
  admin: KubeClient,
  action: Action,
  dryRun: boolean,
): Promise<{ status: number; body: unknown; message: string | undefined }> {
  const r = resourceOf(action.kind);
  const opts = { dryRun, fieldManager: FIELD_MANAGER };
  const res =
    action.op === 'create'
      ? await admin.create(r, action.object, opts)
      : action.op === 'update'
        ? await admin.update(r, action.object, opts)
        : action.op === 'delete'
          ? await admin.delete(r, { name: action.name }, { dryRun })
          : undefined;
  if (res === undefined) return { status: 200, body: undefined, message: undefined };
  const status = res.body as KubeStatus | undefined;
  return {
    status: res.status,
    body: res.body,
    message: res.error?.message ?? status?.message ?? `HTTP ${res.status}`,
  };
}

/**
 * Sends every change as a server-side dry-run (`dryRun=All`): the server validates and defaults
 * the objects exactly as it would for real. Returns the defaulted objects by `refKey`.
 *
 * @throws ApfbenchError `APFBENCH_PROFILE_REJECTED` (invalid input) listing every refusal.
 */
export async function dryRunActions(
  admin: KubeClient,
  actions: readonly Action[],
  profileName: string,
): Promise<Map<string, FlowControlObject>> {
  const answers = new Map<string, FlowControlObject>();
  const refused: string[] = [];
  for (const action of actions) {
    if (action.op === 'unchanged') continue;
    const res = await send(admin, action, true);
    if (res.status >= 200 && res.status < 300) {
      if (action.op !== 'delete') answers.set(refKey(action), res.body as FlowControlObject);
    } else {
      refused.push(`${action.op} ${action.kind} ${action.name}: ${res.message}`);
    }
  }
  if (refused.length > 0) {
    throw new ApfbenchError(
      'APFBENCH_PROFILE_REJECTED',
      `the API server refuses profile ${profileName} (dry-run, nothing was changed):\n${refused.join('\n')}`,
      {
        kind: 'invalid-input',
        hint: 'fix the objects in the profile; the messages are the server’s own',
      },
    );
  }
  return answers;
}

/** Makes the changes, in order; a conflict or failure stops with what was done so far. */
async function execute(admin: KubeClient, actions: readonly Action[], what: string): Promise<void> {
  for (const action of actions) {
    if (action.op === 'unchanged') continue;
    const res = await send(admin, action, false);
    // Deleting what is already gone is what was wanted.
    if (action.op === 'delete' && res.status === 404) continue;
    if (res.status < 200 || res.status >= 300) {
      throw new ApfbenchError(
        'APFBENCH_PROFILE_APPLY',
        `${what}: ${action.op} ${action.kind} ${action.name} failed: ${res.message}`,
        { hint: 'run `apfbench profile restore` to put the flowcontrol objects back' },
      );
    }
  }
}

export interface ProfilePlan {
  readonly profile: Profile;
  readonly current: ReadonlyMap<string, FlowControlObject>;
  /** Settled against the server's dry-run: `unchanged` where the object is already so. */
  readonly actions: readonly Action[];
}

/** What applying `profile` would change on the server (reads and dry-runs only). */
export async function planProfile(admin: KubeClient, profile: Profile): Promise<ProfilePlan> {
  const current = await readFlowControl(admin);
  const tentative = planApply(profile, current);
  assertLevelsExist(profile, current);
  const answers = await dryRunActions(admin, tentative, profile.metadata.name);
  return { profile, current, actions: settle(tentative, current, answers) };
}

/** A flow schema pointing at a level that exists neither on the server nor in the profile. */
function assertLevelsExist(profile: Profile, current: ReadonlyMap<string, FlowControlObject>) {
  const defined = new Set(profile.spec.priorityLevels.map((o) => o.metadata.name));
  const dangling = profile.spec.flowSchemas.filter((fs) => {
    const level = fs.spec.priorityLevelConfiguration.name;
    return (
      !defined.has(level) &&
      !current.has(refKey({ kind: 'PriorityLevelConfiguration', name: level }))
    );
  });
  if (dangling.length === 0) return;
  throw new ApfbenchError(
    'APFBENCH_PROFILE_DANGLING',
    `profile ${profile.metadata.name}: ${dangling
      .map(
        (fs) =>
          `flow schema ${fs.metadata.name} names priority level ${fs.spec.priorityLevelConfiguration.name}, which neither the profile nor the server has`,
      )
      .join('; ')}`,
    {
      kind: 'invalid-input',
      hint: 'add the priority level to spec.priorityLevels; its requests would otherwise go to catch-all',
    },
  );
}

export interface ApplyOptions {
  readonly onPhase?: (line: string) => void;
  /** Written before anything changes, so that `profile restore` can undo a killed process. */
  readonly snapshotFile?: string;
  /** How long to wait for the server to run the new configuration; default 60 s. */
  readonly effectTimeoutMs?: number;
  /**
   * Ctrl-C: before the changes, nothing is changed; while waiting for them to take effect, they
   * are restored. Either way `interrupted` is thrown.
   */
  readonly signal?: AbortSignal | undefined;
}

export interface AppliedProfile {
  readonly snapshot: Snapshot;
  readonly actions: readonly Action[];
  /** Server concurrency limits that explain the nominal seats before the change (may be none). */
  readonly serverConcurrency: readonly number[];
}

/**
 * Snapshots what the profile touches, dry-runs it, applies it and waits until the server's APF
 * controller runs it. Nothing is changed when the dry-run fails or `signal` aborts first; when
 * applying fails half-way, the profile never shows in effect or `signal` aborts during the wait,
 * the snapshot is restored before the error is thrown.
 */
export async function applyProfile(
  admin: KubeClient,
  profile: Profile,
  opts: ApplyOptions = {},
): Promise<AppliedProfile> {
  const say = opts.onPhase ?? (() => {});
  const name = profile.metadata.name;
  const plan = await planProfile(admin, profile);
  const fresh = takeSnapshot(touchedRefs(profile), plan.current, {
    server: admin.transport.target.server,
    profile: profile.metadata.name,
  });
  let snapshot = fresh;
  if (opts.snapshotFile !== undefined) {
    const older = await readSnapshotFile(opts.snapshotFile).catch(() => undefined);
    if (older !== undefined && older.server === fresh.server)
      snapshot = mergeSnapshots(older, fresh);
    await writeSnapshotFile(opts.snapshotFile, snapshot);
  }
  const changing = plan.actions.filter((a) => a.op !== 'unchanged');
  say(`profile ${profile.metadata.name}: ${changing.length} change(s)`);
  for (const line of formatActions(changing)) say(`  ${line}`);
  const before = await scrapeMetrics(admin, {
    families: new Set([ServerMetric.nominalLimitSeats]),
  });
  // Put back what this call changed. The snapshot file goes once that worked, unless it also
  // holds what an earlier, killed process changed (`profile restore` still needs that).
  const undo = async () => {
    await restoreSnapshot(admin, fresh);
    if (opts.snapshotFile !== undefined && snapshot === fresh)
      await removeSnapshotFile(opts.snapshotFile);
  };
  try {
    throwIfAborted(opts.signal, `before profile ${name} was applied; nothing was changed`);
    await execute(admin, plan.actions, `applying profile ${name}`);
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
  const serverConcurrency = inferServerConcurrency(
    levelShares(plan.current),
    gaugeValues(before, ServerMetric.nominalLimitSeats, ['priority_level']),
  );
  say(`waiting until the server runs profile ${name}`);
  try {
    await waitForEffect(
      admin,
      plan,
      serverConcurrency,
      opts.effectTimeoutMs ?? 60_000,
      opts.signal,
    );
  } catch (err) {
    // Applied but never seen in effect: nothing will run under it, so nothing may stay changed.
    await undo().catch(() => undefined);
    throw err;
  }
  say(`profile ${name} in effect`);
  return { snapshot, actions: plan.actions, serverConcurrency };
}

function levelShares(objects: ReadonlyMap<string, FlowControlObject>): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const [key, object] of objects) {
    if (key.startsWith('PriorityLevelConfiguration/'))
      shares[object.metadata.name ?? ''] = sharesOf(object);
  }
  return shares;
}

/**
 * Waits until the server's APF controller has digested the new configuration: every flow schema
 * the profile created carries the controller's `Dangling` condition, and the nominal seats the
 * server reports are those the new shares give (when the server concurrency limit could be
 * inferred from the old ones; otherwise, that every level of the profile is reported). An
 * abort of `signal` ends the wait with `interrupted`.
 */
async function waitForEffect(
  admin: KubeClient,
  plan: ProfilePlan,
  serverConcurrency: readonly number[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const what = `while waiting for profile ${plan.profile.metadata.name} to take effect`;
  const created = plan.actions.filter((a) => a.op === 'create' && a.kind === 'FlowSchema');
  const levels = plan.profile.spec.priorityLevels.map((o) => o.metadata.name);
  const deadline = Date.now() + timeoutMs;
  let waitingFor = '';
  while (Date.now() < deadline) {
    throwIfAborted(signal, what);
    waitingFor = await notYetInEffect(admin, created, levels, serverConcurrency);
    if (waitingFor === '') {
      // Changed or removed flow schemas leave no trace to wait for; the controller digests a
      // change within milliseconds, so a short pause covers them.
      if (
        plan.actions.some(
          (a) => a.kind === 'FlowSchema' && (a.op === 'update' || a.op === 'delete'),
        )
      ) {
        await pause(1000, signal);
        throwIfAborted(signal, what);
      }
      return;
    }
    await pause(250, signal);
  }
  throw new ApfbenchError(
    'APFBENCH_PROFILE_NOT_IN_EFFECT',
    `profile ${plan.profile.metadata.name} was applied but the server did not run it within ${timeoutMs / 1000}s (${waitingFor})`,
    {
      hint: 'is APF enabled (--enable-priority-and-fairness)? `apfbench profile restore` puts the objects back',
    },
  );
}

/** Sleeps `ms`, less when `signal` aborts; never rejects. */
const pause = (ms: number, signal: AbortSignal | undefined) =>
  sleep(ms, undefined, { signal }).catch(() => undefined);

/** What is not in effect yet, or '' when all is. */
async function notYetInEffect(
  admin: KubeClient,
  createdSchemas: readonly ObjectRef[],
  profileLevels: readonly string[],
  serverConcurrency: readonly number[],
): Promise<string> {
  for (const fs of createdSchemas) {
    const res = await admin.get<FlowControlObject>(resources.flowschemas, { name: fs.name });
    const status = (res.body?.status ?? {}) as { conditions?: { type?: string }[] };
    if (!(status.conditions ?? []).some((c) => c.type === 'Dangling')) {
      return `flow schema ${fs.name} not yet seen by the APF controller`;
    }
  }
  const seats = gaugeValues(
    await scrapeMetrics(admin, { families: new Set([ServerMetric.nominalLimitSeats]) }),
    ServerMetric.nominalLimitSeats,
    ['priority_level'],
  );
  const missing = profileLevels.filter((l) => seats[l] === undefined);
  if (missing.length > 0) return `no nominal seats reported for ${missing.join(', ')}`;
  if (serverConcurrency.length === 0) return '';
  const shares = levelShares(await readFlowControl(admin));
  return seatsMatch(shares, serverConcurrency, seats)
    ? ''
    : `nominal seats ${JSON.stringify(seats)} are not yet those of shares ${JSON.stringify(shares)}`;
}

/**
 * Puts every object of the snapshot back as it was. A write that conflicts with a concurrent
 * change (the API server's own config ensurer, say) is planned and tried again.
 */
export async function restoreSnapshot(admin: KubeClient, snapshot: Snapshot): Promise<Action[]> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const actions = planRestore(snapshot, await readFlowControl(admin));
    try {
      await execute(admin, actions, 'restoring flowcontrol objects');
      return actions;
    } catch (err) {
      last = err;
      await sleep(200 * (attempt + 1));
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** What restoring would change now (reads only). */
export async function planRestoreNow(admin: KubeClient, snapshot: Snapshot): Promise<Action[]> {
  return planRestore(snapshot, await readFlowControl(admin));
}

export async function writeSnapshotFile(file: string, snapshot: Snapshot): Promise<void> {
  await writeFile(file, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
}

export async function readSnapshotFile(file: string): Promise<Snapshot> {
  const text = await readFile(file, 'utf8');
  const notSnapshot = (why: string) =>
    new ApfbenchError(
      'APFBENCH_BAD_SNAPSHOT',
      `${file} is not a JSON snapshot written by apfbench (${why})`,
      {
        kind: 'invalid-input',
        hint: 'pass the --snapshot that `profile apply` (or `run --profile`) wrote',
      },
    );
  let parsed: Partial<Snapshot> | null;
  try {
    parsed = JSON.parse(text) as Partial<Snapshot> | null;
  } catch {
    throw notSnapshot('not JSON');
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.objects)) {
    throw notSnapshot('no version 1 and objects');
  }
  return parsed as Snapshot;
}

export async function removeSnapshotFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** What `withProfile` gives back: `fn`'s value, and why restoring failed if it did. */
export interface ProfileOutcome<T> {
  readonly value: T;
  /** Why the flowcontrol objects could not be put back, and how to do it by hand. */
  readonly restoreError?: string;
}

/** Applying and restoring one profile, as `withApplier` uses them (a fake in unit tests). */
export interface ProfileApplier {
  readonly name: string;
  apply(): Promise<AppliedProfile>;
  /** Puts back what `apply` changed. */
  restore(applied: AppliedProfile): Promise<void>;
}

/**
 * Runs `fn` with `profile` in effect and restores the snapshot afterwards, whether `fn`
 * returns, throws, or returns after an abort (Ctrl-C). The snapshot file, when given, is
 * removed once restored, and left for `profile restore` when restoring fails.
 */
export function withProfile<T>(
  admin: KubeClient,
  profile: Profile,
  fn: (applied: AppliedProfile) => Promise<T>,
  opts: ApplyOptions = {},
): Promise<ProfileOutcome<T>> {
  return withApplier(
    {
      name: profile.metadata.name,
      apply: () => applyProfile(admin, profile, opts),
      restore: async (applied) => {
        await restoreSnapshot(admin, applied.snapshot);
        if (opts.snapshotFile !== undefined) await removeSnapshotFile(opts.snapshotFile);
      },
    },
    fn,
    opts,
  );
}

/**
 * Where a run under a profile keeps its snapshot, said before it starts, so that after a kill
 * (which restores nothing) putting the objects back is one copy-paste away.
 */
export const snapshotNote = (file: string) =>
  `profile snapshot: ${file} (restore with: apfbench profile restore --snapshot ${file})`;

/**
 * Runs `fn` between `applier.apply()` and `applier.restore()`. A restore that fails never hides
 * what `fn` did: its value comes back with `restoreError`, and an error it threw is thrown
 * again, with the restore failure added to its message.
 */
export async function withApplier<T>(
  applier: ProfileApplier,
  fn: (applied: AppliedProfile) => Promise<T>,
  opts: Pick<ApplyOptions, 'onPhase' | 'snapshotFile'> = {},
): Promise<ProfileOutcome<T>> {
  const applied = await applier.apply();
  const restore = async (): Promise<string | undefined> => {
    opts.onPhase?.(`restoring the flowcontrol objects profile ${applier.name} changed`);
    try {
      await applier.restore(applied);
      return undefined;
    } catch (err) {
      const snapshot = opts.snapshotFile === undefined ? '' : ` --snapshot ${opts.snapshotFile}`;
      return `restoring the flowcontrol objects profile ${applier.name} changed failed (${messageOf(err)}); they stay changed until \`apfbench profile restore${snapshot}\` puts them back`;
    }
  };
  let value: T;
  try {
    value = await fn(applied);
  } catch (err) {
    const restoreError = await restore();
    throw restoreError === undefined ? err : withNote(err, restoreError);
  }
  const restoreError = await restore();
  return restoreError === undefined ? { value } : { value, restoreError };
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `err`, as the same kind of error, with `note` added to its message. */
function withNote(err: unknown, note: string): Error {
  const message = `${messageOf(err)}; ${note}`;
  return err instanceof ApfbenchError
    ? new ApfbenchError(err.code, message, { kind: err.kind, hint: err.hint, cause: err })
    : new Error(message, { cause: err });
}
