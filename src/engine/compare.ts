// `apfbench compare`: one scenario under several APF profiles, each applied and restored around
// its run, with repeats interleaved; the runs' results and a side-by-side summary.
import { levelJain } from '../metrics/fairness.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApfbenchError } from '../errors.js';
import {
  describe,
  interleavedOrder,
  welchDifference,
  type Difference,
  type Sample,
} from '../metrics/compare-stats.js';
import { abandonedOf } from '../metrics/timeline-snapshot.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';
import { otherErrorsOf } from '../report/model.js';
import {
  apiserverArgsOf,
  assertFlagsApplicable,
  auditPolicyOfProfile,
  auditPolicyText,
  describeAuditPolicy,
  formatActions,
  sameAuditPolicy,
  sameFlags,
  withProfile,
  snapshotNote,
  type AuditPolicy,
  type Profile,
} from '../profile/index.js';
import {
  COMPARISON_SCHEMA_VERSION,
  type Comparison,
  type ComparisonRun,
  type RunResult,
} from '../result/result.js';
import { RESULT_FILE, writeComparison, writeResult } from '../result/write.js';
import type { Scenario } from '../actors/scenario.js';
import { toolVersion } from '../version.js';
import { runScenario, type Progress, type RunOptions, type RunTarget } from './coordinator.js';
import { openTarget, type OpenTarget, type TargetOptions } from './target.js';
import type { WorkerPlacement } from './worker-handle.js';

// The format lives with RunResult, which reports read; re-exported for the engine's callers.
export {
  COMPARISON_SCHEMA_VERSION,
  type Comparison,
  type ComparisonRun,
  type FigureSummary,
} from '../result/result.js';

export interface ProfileEntry {
  readonly profile: Profile;
  readonly file: string;
}

/**
 * One run on workers elsewhere (`--agents N`): calls `run` with the placement of its workers,
 * once they are there, and returns its result with what it adds (the agents section).
 */
export type Distribute = (
  run: (placement: WorkerPlacement) => Promise<RunResult>,
) => Promise<RunResult>;

export interface CompareOptions {
  readonly out: string;
  readonly repeat?: number;
  /** Without `cluster`, an ephemeral local control plane per flag set. */
  readonly target: Omit<TargetOptions, 'apiserverArgs'>;
  readonly signal?: AbortSignal;
  readonly workers?: number | undefined;
  readonly latencyPairs?: readonly { victim: string; noisy: string }[];
  readonly onPhase?: (line: string) => void;
  readonly onProgress?: (p: Progress) => void;
  /** Runs done of how many: before each run, and once at the end. */
  readonly onRuns?: (done: number, total: number) => void;
  /** Passed on to each run (RunOptions). */
  readonly onFixtures?: (done: number, total: number) => void;
  readonly liveMetrics?: LiveMetrics;
  /** Passed on to each run (RunOptions). */
  readonly scenarioFile?: string;
  /** Called after each run, with where its result was written. */
  readonly onRun?: (run: ComparisonRun, result: RunResult) => void;
  /** Each run's workers on remote agents instead of this machine's threads. */
  readonly distribute?: Distribute;
}

/**
 * The figures compared between profiles, by name: per actor group its 429s, 409s, other errors
 * (what the error verdicts and the summary table count), requests abandoned when the drain
 * ended, dropped sends, achieved throughput (2xx per second of measured time) and latency
 * percentiles, plus
 * every number one level inside an actor section (`kubelet.heartbeats.late`); for the run,
 * the client's 429s and the server's APF rejections and fairness per priority level.
 */
export function runFigures(r: RunResult): Record<string, number> {
  const figures: Record<string, number> = {};
  const measuredSeconds = Math.max(0.001, measuredMs(r) / 1000);
  let throttled = 0;
  for (const [name, g] of Object.entries(r.actors)) {
    const q = g.requests;
    throttled += q.throttled;
    figures[`${name}.429s`] = q.throttled;
    figures[`${name}.409s`] = q.byCode['409'] ?? 0;
    // One definition of an error wherever the report says it: not a 429 or 409, nor a response
    // the actor expects (a kubelet's Lease lookup 404), nor a request abandoned when the drain
    // ended (the run's cut-off, not the server's); each of those has a figure of its own.
    figures[`${name}.other errors`] = otherErrorsOf(g.type, q);
    figures[`${name}.abandoned`] = abandonedOf(q.byCode);
    figures[`${name}.dropped`] = q.dropped;
    figures[`${name}.ok/s`] = round((q.total - q.errors) / measuredSeconds);
    figures[`${name}.p50 ms`] = q.latencyMs.p50;
    figures[`${name}.p99 ms`] = q.latencyMs.p99;
    for (const [section, value] of Object.entries(g)) {
      if (section === 'requests' || typeof value !== 'object' || value === null) continue;
      for (const [field, n] of Object.entries(value as Record<string, unknown>)) {
        if (typeof n === 'number') figures[`${name}.${section}.${field}`] = n;
      }
    }
  }
  figures['all.429s'] = throttled;
  if (r.server !== undefined) {
    figures['server.rejected'] = r.server.crossCheck.serverRejected;
    figures['server.429s'] = r.server.crossCheck.server429;
    // What the server paid for the load (audit, TLS, a profile): beside the latencies above.
    if (r.server.cpuSeconds !== undefined) figures['server.cpu s'] = round(r.server.cpuSeconds);
    if (r.server.peakRssBytes !== undefined) {
      figures['server.peak RSS MiB'] = round(r.server.peakRssBytes / 2 ** 20);
    }
  }
  for (const [level, f] of Object.entries(r.fairness?.priorityLevels ?? {})) {
    figures[`fairness.${level}.jain`] = levelJain(f);
  }
  return figures;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * How long the measured window really ran: from its recorded start to its end (an aborted run's
 * is shorter than configured), or, for results written before the window was recorded, the
 * configured duration less the warm-up.
 */
export function measuredMs(
  r: Pick<RunResult, 'measuredFrom' | 'measuredTo'> & {
    readonly scenario: { readonly spec: { readonly duration: number; readonly warmup: number } };
  },
): number {
  if (r.measuredFrom !== undefined && r.measuredTo !== undefined) {
    return Date.parse(r.measuredTo) - Date.parse(r.measuredFrom);
  }
  return r.scenario.spec.duration - r.scenario.spec.warmup;
}

/** Pure: the side-by-side summary of finished runs. */
export function summarise(
  profiles: readonly string[],
  all: readonly Pick<ComparisonRun, 'profile' | 'figures' | 'status'>[],
): Comparison['summary'] {
  // An aborted or failed run is shown with its own figures, but its partial window would bias
  // the samples: the differences and intervals are over completed runs only.
  const runs = all.filter((r) => r.status === 'completed');
  const baseline = profiles[0] ?? '';
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.figures)))];
  const figures = names.map((figure) => {
    const byProfile: Record<string, Sample> = {};
    for (const p of profiles) {
      const values = runs
        .filter((r) => r.profile === p)
        .flatMap((r) => (r.figures[figure] === undefined ? [] : [r.figures[figure]]));
      if (values.length > 0) byProfile[p] = describe(values);
    }
    const differences: Record<string, Difference> = {};
    const base = byProfile[baseline];
    for (const p of profiles.slice(1)) {
      const other = byProfile[p];
      if (base !== undefined && other !== undefined) differences[p] = welchDifference(base, other);
    }
    return { figure, byProfile, differences };
  });
  return { baseline, figures };
}

/**
 * One run of `scenario` under a profile: applies it (snapshot first, written to `snapshotFile`
 * when given), runs, and restores the snapshot after the run, also after a failure or an abort
 * (`opts.signal`, which also ends the wait for the profile to take effect). The result records
 * the profile, what applying it changed and, in `profile.restoreError`, a restore that failed.
 * The caller checks beforehand that the target can take the profile's flags
 * (`assertFlagsApplicable`) and opens the target with them. Used by `compare` for each of its
 * runs and by `run --profile`.
 */
export async function runScenarioUnderProfile(
  scenario: Scenario,
  run: RunTarget,
  { profile, file }: ProfileEntry,
  opts: Omit<RunOptions, 'profile'> & { readonly snapshotFile?: string },
): Promise<RunResult> {
  const { snapshotFile, ...runOpts } = opts;
  const { value: result, restoreError } = await withProfile(
    run.admin,
    profile,
    (applied) =>
      runScenario(scenario, run, {
        ...runOpts,
        profile: {
          name: profile.metadata.name,
          file,
          spec: profile.spec,
          changes: formatActions(applied.actions.filter((a) => a.op !== 'unchanged')).filter(
            (line) => !line.startsWith(' '),
          ),
        },
      }),
    {
      ...(opts.onPhase === undefined ? {} : { onPhase: opts.onPhase }),
      ...(snapshotFile === undefined ? {} : { snapshotFile }),
      signal: opts.signal,
    },
  );
  return restoreError === undefined || result.profile === undefined
    ? result
    : { ...result, profile: { ...result.profile, restoreError } };
}

/**
 * The audit policy of a profile's control plane: the profile's own
 * (`spec.apiserver.auditPolicy`), else the comparison's (`--audit-policy`), else none.
 */
export function auditPolicyFor(entry: ProfileEntry, fallback: AuditPolicy | undefined) {
  return auditPolicyOfProfile(entry.profile, entry.file) ?? fallback;
}

/**
 * Refuses before anything runs: duplicate names, flags or an audit policy on a cluster apfbench
 * does not start, an audit policy file that does not check.
 */
export async function checkProfiles(
  profiles: readonly ProfileEntry[],
  local: boolean,
  fallback: AuditPolicy | undefined,
): Promise<void> {
  const seen = new Set<string>();
  for (const { profile, file } of profiles) {
    if (seen.has(profile.metadata.name)) {
      throw new ApfbenchError(
        'APFBENCH_DUPLICATE_PROFILE',
        `profile ${profile.metadata.name} is given twice (${file})`,
        { kind: 'invalid-input', hint: 'use --repeat to run a profile several times' },
      );
    }
    seen.add(profile.metadata.name);
    assertFlagsApplicable(profile, local, file);
  }
  for (const entry of profiles) {
    const audit = auditPolicyFor(entry, fallback);
    if (local && audit !== undefined) await auditPolicyText(audit);
  }
}

/** The snapshot file of a run or comparison writing to `out`. */
export const profileSnapshotFile = (out: string) => join(out, 'profile-snapshot.json');

/**
 * Runs `scenario` under each profile (`repeat` times, interleaved), applying the profile before
 * its run and restoring the flowcontrol objects after it, also after a failure or an abort. On
 * a local target the control plane is restarted whenever the next profile needs other flags.
 * Writes each run's result.json and comparison.json under `opts.out`.
 */
export async function compareProfiles(
  scenario: Scenario,
  profiles: readonly ProfileEntry[],
  opts: CompareOptions,
): Promise<Comparison> {
  if (profiles.length < 1) {
    throw new ApfbenchError('APFBENCH_NO_PROFILES', 'compare needs at least one --profile', {
      kind: 'invalid-input',
    });
  }
  const local = opts.target.cluster === undefined;
  await checkProfiles(profiles, local, opts.target.auditPolicy);
  const say = opts.onPhase ?? (() => {});
  const repeat = Math.max(1, opts.repeat ?? 1);
  const order = interleavedOrder(profiles.length, repeat);
  await mkdir(opts.out, { recursive: true });
  const snapshotFile = profileSnapshotFile(opts.out);
  // A control plane apfbench started dies with it: only another cluster keeps a profile applied.
  if (!local) say(snapshotNote(snapshotFile));

  let open:
    { args: readonly string[]; audit: AuditPolicy | undefined; target: OpenTarget } | undefined;
  const runs: ComparisonRun[] = [];
  const repeats = new Map<string, number>();
  let status: Comparison['status'] = 'completed';
  let reason: string | undefined;
  try {
    for (const [index, which] of order.entries()) {
      if (opts.signal?.aborted === true) {
        status = 'aborted';
        reason = 'interrupted';
        break;
      }
      const { profile } = profiles[which]!;
      const name = profile.metadata.name;
      const args = apiserverArgsOf(profile);
      const audit = local ? auditPolicyFor(profiles[which]!, opts.target.auditPolicy) : undefined;
      const dir = join('runs', `${String(index + 1).padStart(2, '0')}-${name}`);
      const sameServer =
        open !== undefined && sameFlags(open.args, args) && sameAuditPolicy(open.audit, audit);
      if (open === undefined || (local && !sameServer)) {
        if (open !== undefined) {
          say(
            'stopping the control plane: the next profile needs other API-server flags or audit policy',
          );
          await open.target.close();
          open = undefined;
        }
        if (local) say(`starting a local control plane${startedWith(args, audit)}`);
        open = {
          args,
          audit,
          target: await openTarget(scenario, {
            ...opts.target,
            apiserverArgs: args,
            // The log of a control plane goes beside the result of the first run on it.
            ...(audit === undefined
              ? { auditPolicy: undefined }
              : { auditPolicy: audit, auditLogPath: join(opts.out, dir, 'audit', 'audit.log') }),
            signal: opts.signal,
          }),
        };
      }
      const run = open.target.run;
      const repeatIndex = repeats.get(name) ?? 0;
      repeats.set(name, repeatIndex + 1);
      say(
        `run ${index + 1}/${order.length}: profile ${name}${repeat > 1 ? ` (repeat ${repeatIndex + 1})` : ''}`,
      );
      opts.onRuns?.(index, order.length);
      await mkdir(join(opts.out, dir), { recursive: true });
      const runUnder = (placement?: WorkerPlacement) =>
        runScenarioUnderProfile(scenario, run, profiles[which]!, {
          ...(opts.signal === undefined ? {} : { signal: opts.signal }),
          workers: opts.workers,
          ...(opts.latencyPairs === undefined ? {} : { latencyPairs: opts.latencyPairs }),
          ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
          ...(opts.onFixtures === undefined ? {} : { onFixtures: opts.onFixtures }),
          ...(opts.liveMetrics === undefined ? {} : { liveMetrics: opts.liveMetrics }),
          ...(opts.scenarioFile === undefined ? {} : { scenarioFile: opts.scenarioFile }),
          ...(placement === undefined ? {} : { placement }),
          onPhase: say,
          snapshotFile,
        });
      const result =
        opts.distribute === undefined ? await runUnder() : await opts.distribute(runUnder);
      const written = await writeResult(join(opts.out, dir), result);
      if (written.failed !== undefined) {
        throw new ApfbenchError(
          'APFBENCH_RESULT_FALLBACK',
          `could not write ${written.failed.path} (${written.failed.error}); run ${index + 1}'s result is in ${written.path}`,
        );
      }
      const resultFile = join(dir, RESULT_FILE);
      const entry: ComparisonRun = {
        index,
        profile: name,
        repeat: repeatIndex,
        status: result.status,
        result: resultFile,
        figures: runFigures(result),
      };
      runs.push(entry);
      opts.onRun?.(entry, result);
      // The next profile would start from objects this one left changed.
      if (result.profile?.restoreError !== undefined) {
        status = 'failed';
        reason = `run ${index + 1} (${name}): ${result.profile.restoreError}`;
        break;
      }
      if (result.status !== 'completed') {
        // A server that stopped answering makes the rest of the comparison meaningless too.
        status =
          result.status === 'degraded' || result.status === 'partial' ? 'failed' : result.status;
        reason = `run ${index + 1} (${name}) ${result.status}${result.reason === undefined ? '' : `: ${result.reason}`}`;
        break;
      }
    }
  } catch (err) {
    status = err instanceof ApfbenchError && err.kind === 'interrupted' ? 'aborted' : 'failed';
    reason = err instanceof Error ? err.message : String(err);
    // comparison.json also when a run throws: the runs before it are still worth having.
    await finish();
    throw err;
  }
  return finish();

  async function finish(): Promise<Comparison> {
    opts.onRuns?.(runs.length, order.length);
    await open?.target.close();
    const comparison = comparisonOf(
      scenario,
      profiles,
      order,
      runs,
      repeat,
      status,
      reason,
      [...(opts.target.serverArgs ?? [])],
      local ? opts.target.auditPolicy : undefined,
    );
    const written = await writeComparison(opts.out, comparison);
    if (written.failed !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_RESULT_FALLBACK',
        `could not write ${written.failed.path} (${written.failed.error}); the comparison is in ${written.path}`,
      );
    }
    return comparison;
  }
}

/** ` with --a --b and audit policy X`, or nothing, for the progress line. */
function startedWith(args: readonly string[], audit: AuditPolicy | undefined): string {
  const flags = args.length > 0 ? ` with --${args.join(' --')}` : '';
  if (audit === undefined) return flags;
  return `${flags}${flags === '' ? ' with' : ' and'} audit policy ${describeAuditPolicy(audit)}`;
}

function comparisonOf(
  scenario: Scenario,
  profiles: readonly ProfileEntry[],
  order: readonly number[],
  runs: readonly ComparisonRun[],
  repeat: number,
  status: Comparison['status'],
  reason: string | undefined,
  serverArgs: readonly string[],
  auditPolicy: AuditPolicy | undefined,
): Comparison {
  const names = profiles.map((p) => p.profile.metadata.name);
  return {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    tool: { name: 'apfbench', version: toolVersion },
    scenario: scenario.metadata.name,
    createdAt: new Date().toISOString(),
    status,
    ...(reason === undefined ? {} : { reason }),
    repeat,
    ...(serverArgs.length > 0 ? { serverArgs: [...serverArgs] } : {}),
    profiles: profiles.map((p) => {
      const audit = auditPolicyFor(p, auditPolicy);
      return {
        name: p.profile.metadata.name,
        file: p.file,
        apiserverArgs: apiserverArgsOf(p.profile),
        ...(audit === undefined ? {} : { auditPolicy: describeAuditPolicy(audit) }),
      };
    }),
    order: order.map((i) => names[i]!),
    runs: [...runs],
    summary: summarise(names, runs),
  };
}
