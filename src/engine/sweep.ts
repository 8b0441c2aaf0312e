// `apfbench sweep`: one scenario at rising load levels under each APF profile, on one control
// plane per profile, until a stop condition holds; every level's result, its verdict and each
// profile's knee in sweep.json.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scenario } from '../actors/scenario.js';
import { loadScenarioFile } from '../actors/scenario.js';
import { findKnees, levelVerdict } from '../check/sweep-verdict.js';
import type { Budget, LoadedRun } from '../check/index.js';
import { ApfbenchError } from '../errors.js';
import { apiserverArgsOf } from '../profile/index.js';
import {
  SWEEP_SCHEMA_VERSION,
  type RunResult,
  type Sweep,
  type SweepRun,
  type SweepVerdict,
} from '../result/result.js';
import { RESULT_FILE, writeResult, writeSweep } from '../result/write.js';
import type { Overrides } from '../scenario/index.js';
import { toolVersion } from '../version.js';
import {
  auditPolicyFor,
  checkProfiles,
  profileSnapshotFile,
  runFigures,
  runScenarioUnderProfile,
  type ProfileEntry,
} from './compare.js';
import { runScenario, type RunOptions, type RunTarget } from './coordinator.js';
import type { Level, Vary } from './sweep-plan.js';
import { openTarget, scenarioUsers, type TargetOptions } from './target.js';

/** The name a sweep without --profile gives its runs: the cluster's APF objects as they are. */
export const AS_IS = 'as-is';

/** A scenario file and the command's overrides, which every level starts from. */
export interface ScenarioSource {
  readonly file: string;
  readonly overrides: Overrides;
}

/** The scenario of one level: the file with the command's overrides, then the level's `--set`s. */
export function levelScenario(source: ScenarioSource, sets: readonly string[]): Promise<Scenario> {
  return loadScenarioFile(source.file, {
    ...source.overrides,
    set: [...(source.overrides.set ?? []), ...sets],
  });
}

export type LevelRunOptions = Omit<RunOptions, 'profile'> & {
  /** Where applying the profile snapshots the objects it changes. */
  readonly snapshotFile?: string;
};

/**
 * Runs `scenario` once on `run`'s control plane, under `profile` (applied before, restored after,
 * also on failure or abort: compare's path) or, without one, on the APF objects as they are;
 * writes its result.json into `dir` and returns the result. `sweep` calls it for each level;
 * anything that runs one configuration at one load can.
 */
export async function runLevel(
  scenario: Scenario,
  run: RunTarget,
  profile: ProfileEntry | undefined,
  dir: string,
  opts: LevelRunOptions,
): Promise<RunResult> {
  await mkdir(dir, { recursive: true });
  const result =
    profile === undefined
      ? await runScenario(scenario, run, withoutSnapshot(opts))
      : await runScenarioUnderProfile(scenario, run, profile, opts);
  const written = await writeResult(dir, result);
  if (written.failed !== undefined) {
    throw new ApfbenchError(
      'APFBENCH_RESULT_FALLBACK',
      `could not write ${written.failed.path} (${written.failed.error}); the level's result is in ${written.path}`,
    );
  }
  return result;
}

function withoutSnapshot(opts: LevelRunOptions): Omit<RunOptions, 'profile'> {
  const { snapshotFile, ...rest } = opts;
  return rest;
}

export interface SweepPlan {
  readonly source: ScenarioSource;
  /** The scenario with the command's overrides: its name, budgets and users. */
  readonly scenario: Scenario;
  readonly varies: readonly Vary[];
  readonly levels: readonly Level[];
  /** The scenario of each level, loaded (so validated) before anything starts. */
  readonly levelScenarios: readonly Scenario[];
  /** Empty: one pass on the cluster's APF objects as they are. */
  readonly profiles: readonly ProfileEntry[];
  /** `--stop` expressions. */
  readonly stops: readonly string[];
}

export interface SweepOptions {
  readonly out: string;
  readonly repeat: number;
  /** Pause between one level's end and the next level's start on the same control plane. */
  readonly settleMs: number;
  /** Without `cluster`, a local control plane per profile. */
  readonly target: Omit<TargetOptions, 'apiserverArgs'>;
  readonly signal?: AbortSignal;
  readonly workers?: number | undefined;
  readonly onPhase?: (line: string) => void;
  readonly onProgress?: RunOptions['onProgress'];
  readonly onFixtures?: (done: number, total: number) => void;
  /** Runs done of how many: before each run, and once at the end. */
  readonly onRuns?: (done: number, total: number) => void;
  readonly liveMetrics?: RunOptions['liveMetrics'];
}

const pad = (n: number) => String(n).padStart(2, '0');
/** A profile name as a directory name (profile names are DNS labels already; this is a guard). */
const dirName = (name: string) => name.replace(/[^\w.-]/g, '_');

/**
 * Runs each level of `plan` under each profile, in order, each profile on a control plane of its
 * own (a local one started with the profile's flags, else the cluster given). Between levels it
 * waits `settleMs`; a level where a stop condition holds, or whose run does not complete, ends
 * its row. Writes every run's result.json under `out/runs/<profile>/` and `out/sweep.json`,
 * also when interrupted (status partial, with the levels finished) or when a run throws.
 */
export async function sweepProfiles(plan: SweepPlan, opts: SweepOptions): Promise<Sweep> {
  const local = opts.target.cluster === undefined;
  await checkProfiles(plan.profiles, local, opts.target.auditPolicy);
  const say = opts.onPhase ?? (() => {});
  const repeat = Math.max(1, opts.repeat);
  const passes: (ProfileEntry | undefined)[] =
    plan.profiles.length > 0 ? [...plan.profiles] : [undefined];
  const total = passes.length * plan.levels.length * repeat;
  await mkdir(opts.out, { recursive: true });
  const snapshotFile = profileSnapshotFile(opts.out);
  // The largest level's users: the token file of a local control plane must name all of them.
  const widest = plan.levelScenarios.reduce(
    (a, b) => (scenarioUsers(b).length > scenarioUsers(a).length ? b : a),
    plan.scenario,
  );
  const runs: SweepRun[] = [];
  const verdicts: SweepVerdict[] = [];
  let status: Sweep['status'] = 'completed';
  let reason: string | undefined;
  let done = 0;
  const aborted = () => opts.signal?.aborted === true;

  try {
    for (const entry of passes) {
      if (aborted()) break;
      const name = entry?.profile.metadata.name ?? AS_IS;
      const args = entry === undefined ? [] : apiserverArgsOf(entry.profile);
      if (local) {
        say(
          `starting a local control plane for ${name}${args.length > 0 ? ` with --${args.join(' --')}` : ''}`,
        );
      }
      // A profile's audit policy, as compare applies it; the log is kept beside its runs.
      const audit =
        local && entry !== undefined
          ? auditPolicyFor(entry, opts.target.auditPolicy)
          : opts.target.auditPolicy;
      const open = await openTarget(widest, {
        ...opts.target,
        apiserverArgs: args,
        signal: opts.signal,
        ...(audit === undefined || !local
          ? {}
          : {
              auditPolicy: audit,
              auditLogPath: join(opts.out, 'runs', dirName(name), 'audit', 'audit.log'),
            }),
      });
      try {
        const outcome = await sweepOneProfile(entry, name, open.run);
        if (outcome !== undefined) {
          ({ status, reason } = outcome);
          break;
        }
      } finally {
        await open.close();
      }
    }
    if (aborted() && status === 'completed') {
      status = 'partial';
      reason = 'interrupted';
    }
  } catch (err) {
    const interrupted = err instanceof ApfbenchError && err.kind === 'interrupted';
    status = interrupted ? 'partial' : 'failed';
    reason = err instanceof Error ? err.message : String(err);
    // sweep.json also when a run throws: the levels before it are still worth having.
    const sweep = await finish();
    if (interrupted) return sweep;
    throw err;
  }
  return finish();

  /** One profile's levels; a reason to end the whole sweep, if there is one. */
  async function sweepOneProfile(
    entry: ProfileEntry | undefined,
    name: string,
    run: RunTarget,
  ): Promise<{ status: Sweep['status']; reason: string } | undefined> {
    let stoppedRow: number | undefined;
    let first = true;
    for (const level of plan.levels) {
      if (level.row === stoppedRow) {
        done += repeat;
        continue;
      }
      const finished: LoadedRun[] = [];
      for (let r = 0; r < repeat; r++) {
        if (!first && opts.settleMs > 0) {
          say(`settling for ${opts.settleMs / 1000}s`);
          await sleep(opts.settleMs, undefined, { signal: opts.signal }).catch(() => {});
        }
        first = false;
        if (aborted()) return { status: 'partial', reason: 'interrupted' };
        opts.onRuns?.(done, total);
        say(
          `level ${level.index + 1}/${plan.levels.length}: ${name} ${level.label}${repeat > 1 ? ` (repeat ${r + 1}/${repeat})` : ''}`,
        );
        const dir = join(
          'runs',
          dirName(name),
          `${pad(level.index + 1)}${repeat > 1 ? `-${r + 1}` : ''}`,
        );
        const result = await runLevel(
          plan.levelScenarios[level.index]!,
          run,
          entry,
          join(opts.out, dir),
          {
            ...(opts.signal === undefined ? {} : { signal: opts.signal }),
            workers: opts.workers,
            ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
            ...(opts.onFixtures === undefined ? {} : { onFixtures: opts.onFixtures }),
            ...(opts.liveMetrics === undefined ? {} : { liveMetrics: opts.liveMetrics }),
            onPhase: say,
            snapshotFile,
          },
        );
        done += 1;
        const file = join(dir, RESULT_FILE);
        runs.push({
          profile: name,
          level: level.index,
          repeat: r,
          status: result.status,
          result: file,
          figures: runFigures(result),
        });
        // The next level would start from objects this one left changed.
        if (result.profile?.restoreError !== undefined) {
          return {
            status: 'failed',
            reason: `${name} ${level.label}: ${result.profile.restoreError}`,
          };
        }
        if (result.status === 'aborted') return { status: 'partial', reason: 'interrupted' };
        finished.push({ source: file, profile: name, result });
      }
      const verdict = levelVerdict(finished, plan.stops, plan.scenario.spec.budgets ?? []);
      verdicts.push({
        profile: name,
        level: level.index,
        ...verdict,
        reasons: [...verdict.reasons],
      });
      say(
        `level ${level.index + 1}/${plan.levels.length}: ${name} ${level.label}: ${verdict.broken ? `BROKEN: ${verdict.reasons.join('; ')}` : 'ok'}`,
      );
      if (verdict.stopped) {
        stoppedRow = level.row;
        say(
          `${name}: a stop condition held at ${level.label}; skipping the higher levels of this row`,
        );
      }
    }
    return undefined;
  }

  async function finish(): Promise<Sweep> {
    opts.onRuns?.(done, total);
    const sweep = sweepOf(
      plan,
      passes,
      { repeat, settleMs: opts.settleMs, status, reason },
      runs,
      verdicts,
      [...(opts.target.serverArgs ?? [])],
    );
    const written = await writeSweep(opts.out, sweep);
    if (written.failed !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_RESULT_FALLBACK',
        `could not write ${written.failed.path} (${written.failed.error}); the sweep is in ${written.path}`,
      );
    }
    return sweep;
  }
}

/** Pure: sweep.json from the plan, the runs and verdicts so far, and each profile's knees. */
export function sweepOf(
  plan: Pick<SweepPlan, 'varies' | 'levels' | 'stops'> & {
    readonly scenario: {
      readonly metadata: { readonly name: string };
      readonly spec: { readonly budgets?: readonly Budget[] | undefined };
    };
  },
  passes: readonly (ProfileEntry | undefined)[],
  how: {
    readonly repeat: number;
    readonly settleMs: number;
    readonly status: Sweep['status'];
    readonly reason: string | undefined;
  },
  runs: readonly SweepRun[],
  verdicts: readonly SweepVerdict[],
  serverArgs: readonly string[],
): Sweep {
  const rowOf = new Map(plan.levels.map((l) => [l.index, l.row]));
  const profiles = passes.map((p) => ({
    name: p?.profile.metadata.name ?? AS_IS,
    file: p?.file ?? '',
    apiserverArgs: p === undefined ? [] : apiserverArgsOf(p.profile),
  }));
  return {
    schemaVersion: SWEEP_SCHEMA_VERSION,
    tool: { name: 'apfbench', version: toolVersion },
    scenario: plan.scenario.metadata.name,
    createdAt: new Date().toISOString(),
    status: how.status,
    ...(how.reason === undefined ? {} : { reason: how.reason }),
    repeat: how.repeat,
    settleSeconds: how.settleMs / 1000,
    stop: [...plan.stops],
    budgets: (plan.scenario.spec.budgets ?? []).flatMap((b) =>
      b.expr === undefined ? [] : [b.expr],
    ),
    ...(serverArgs.length > 0 ? { serverArgs: [...serverArgs] } : {}),
    profiles,
    vary: plan.varies.map((v) => ({ ...v, values: [...v.values] })),
    levels: plan.levels.map((l) => ({ ...l, values: [...l.values], sets: [...l.sets] })),
    runs: [...runs],
    verdicts: [...verdicts],
    knees: profiles.flatMap(({ name }) =>
      findKnees(
        verdicts
          .filter((v) => v.profile === name)
          .map((v) => ({ row: rowOf.get(v.level) ?? 0, level: v.level, broken: v.broken })),
      ).map((k) => ({ profile: name, ...k })),
    ),
  };
}
