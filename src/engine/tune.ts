// `apfbench tune`: runs a scenario under candidate APF profiles drawn from a search space, each
// applied and restored around its run (compare's path), scores every run against the budgets,
// repeats the finalists, and writes the winner as a ready profile, every run and tune.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Scenario } from '../actors/scenario.js';
import { levelVerdict } from '../check/sweep-verdict.js';
import { parsePath, resolvePath, type Budget, type LoadedRun } from '../check/index.js';
import { ApfbenchError } from '../errors.js';
import { apiserverArgsOf, type Profile } from '../profile/index.js';
import { profileOf, type Candidate, type Dimension } from '../profile/tune-space.js';
import type { RunResult } from '../result/result.js';
import { RESULT_FILE } from '../result/write.js';
import { toolVersion } from '../version.js';
import { checkProfiles, profileSnapshotFile, runFigures } from './compare.js';
import type { RunOptions, RunTarget } from './coordinator.js';
import { runLevel } from './sweep.js';
import {
  baseCandidate,
  bestTrial,
  candidateLabel,
  finalists,
  gridCandidates,
  neighbours,
  paretoFront,
  plannedRuns,
  strategyOf,
  type Strategy,
  type Trial,
  type TrialScore,
} from './tune-plan.js';
import { openTarget, type OpenTarget, type TargetOptions } from './target.js';

export const TUNE_FILE = 'tune.json';
export const TUNED_PROFILE_FILE = 'tuned-profile.yaml';
export const TUNE_SCHEMA_VERSION = 1;
/** How many of the best candidates that meet every budget run once more. */
export const FINALISTS = 2;

export interface TunePlan {
  readonly scenario: Scenario;
  readonly budgets: readonly Budget[];
  /** A metric path to maximise; none: the fewest 429s. */
  readonly objective: string | undefined;
  readonly dims: readonly Dimension[];
  readonly base: Profile;
  readonly maxRuns: number;
  /** Actor groups whose p99 counts as the victims'. */
  readonly victims: readonly string[];
}

export interface TuneOptions {
  readonly out: string;
  readonly target: Omit<TargetOptions, 'apiserverArgs'>;
  /** Pause between one run's end (its restore) and the next run's start, as sweep's --settle. */
  readonly settleMs: number;
  readonly signal?: AbortSignal;
  readonly workers?: number | undefined;
  readonly onPhase?: (line: string) => void;
  readonly onProgress?: RunOptions['onProgress'];
  readonly onFixtures?: (done: number, total: number) => void;
}

export interface TuneTrial extends Trial {
  readonly label: string;
  /** result.json of each of its runs, relative to the output directory. */
  readonly runs: readonly string[];
}

export interface TuneDoc {
  readonly schemaVersion: number;
  readonly tool: { readonly name: 'apfbench'; readonly version: string };
  readonly scenario: string;
  readonly createdAt: string;
  readonly status: 'completed' | 'partial' | 'failed';
  readonly reason?: string;
  readonly strategy: Strategy;
  readonly maxRuns: number;
  readonly objective: string;
  readonly budgets: readonly string[];
  readonly dimensions: readonly { key: string; values: readonly number[] }[];
  readonly trials: readonly TuneTrial[];
  /** Ids of the trials on the Pareto front of 429 ratio, victims' p99 and server CPU. */
  readonly pareto: readonly number[];
  /** The winning trial's id: the best that meets every budget; null when none does. */
  readonly winner: number | null;
  /** The winner as a profile, relative to the output directory. */
  readonly profile: string | null;
}

const pad = (n: number) => String(n).padStart(2, '0');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanOrNull = (xs: readonly (number | null)[]) =>
  xs.some((x) => x === null) || xs.length === 0 ? null : mean(xs as number[]);

/** Pure: the objective's value in one run (numbers summed over what the path matches). */
export function objectiveOf(result: RunResult, objective: string | undefined): number | null {
  if (objective === undefined) return -(runFigures(result)['all.429s'] ?? 0);
  const path = parsePath(objective);
  if (!path.ok) return null;
  const resolved = resolvePath(result, path.value);
  if (!resolved.ok) return null;
  const numbers = resolved.matches.flatMap((m) => (typeof m.value === 'number' ? [m.value] : []));
  return numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0);
}

/** Pure: 429s over all requests of a run. */
export function ratio429Of(r: RunResult): number | null {
  const groups = Object.values(r.actors);
  const total = groups.reduce((n, g) => n + g.requests.total, 0);
  const throttled = groups.reduce((n, g) => n + g.requests.throttled, 0);
  return total === 0 ? null : throttled / total;
}

/** Pure: the highest p99 of the victim groups in a run. */
export function victimsP99Of(r: RunResult, victims: readonly string[]): number | null {
  const p99s = victims.flatMap((v) => {
    const p = r.actors[v]?.requests.latencyMs.p99;
    return typeof p === 'number' ? [p] : [];
  });
  return p99s.length === 0 ? null : Math.max(...p99s);
}

function cpuOf(r: RunResult): number | null {
  const cpu = (r.server as Record<string, unknown> | undefined)?.['cpuSeconds'];
  return typeof cpu === 'number' ? cpu : null;
}

/** Pure: a candidate's score from its runs: budgets on each run, figures averaged. */
export function scoreRuns(
  runs: readonly LoadedRun[],
  plan: Pick<TunePlan, 'budgets' | 'objective' | 'victims'>,
): TrialScore {
  const verdict = levelVerdict(runs, [], plan.budgets);
  const results = runs.map((r) => r.result);
  return {
    meets: !verdict.broken,
    reasons: [...verdict.reasons],
    objective: meanOrNull(results.map((r) => objectiveOf(r, plan.objective))),
    ratio429: meanOrNull(results.map(ratio429Of)),
    victimsP99: meanOrNull(results.map((r) => victimsP99Of(r, plan.victims))),
    cpuSeconds: meanOrNull(results.map(cpuOf)),
  };
}

/**
 * Runs the search: a grid when the space fits in maxRuns, else a coordinate search (from the
 * first value of every dimension, each dimension in turn tries its other values with the rest
 * at the best so far, and keeps the best); then the finalists once more. Writes tune.json
 * (also when interrupted, status partial) and, when a candidate meets every budget, the winner.
 */
export async function tune(plan: TunePlan, opts: TuneOptions): Promise<TuneDoc> {
  const local = opts.target.cluster === undefined;
  const say = opts.onPhase ?? (() => {});
  const strategy = strategyOf(plan.dims, plan.maxRuns);
  const planned = plannedRuns(plan.dims, plan.maxRuns);
  const total = planned + FINALISTS;
  const profileName = `tuned-${plan.scenario.metadata.name}`.slice(0, 63).replace(/-+$/, '');
  await mkdir(opts.out, { recursive: true });
  const snapshotFile = profileSnapshotFile(opts.out);
  const trials: TuneTrial[] = [];
  const loaded = new Map<number, LoadedRun[]>();
  let status: TuneDoc['status'] = 'completed';
  let reason: string | undefined;
  let runNo = 0;
  let open: OpenTarget | undefined;
  let openArgs = '';
  const aborted = () => opts.signal?.aborted === true;

  const profileFor = (c: Candidate) =>
    profileOf(plan.base, plan.dims, c, profileName, `apfbench tune: ${candidateLabel(c)}`);
  // Server flags in the space are refused on a cluster apfbench did not start, before any run.
  await checkProfiles(
    [{ profile: profileFor(baseCandidate(plan.dims)), file: 'the space' }],
    local,
    opts.target.auditPolicy,
  );

  async function targetFor(profile: Profile): Promise<RunTarget> {
    const args = apiserverArgsOf(profile);
    if (open !== undefined && args.join(' ') === openArgs) return open.run;
    await open?.close();
    open = undefined;
    if (local) {
      say(`starting a local control plane${args.length > 0 ? ` with --${args.join(' --')}` : ''}`);
    }
    open = await openTarget(plan.scenario, {
      ...opts.target,
      apiserverArgs: args,
      signal: opts.signal,
    });
    openArgs = args.join(' ');
    return open.run;
  }

  /** Runs one candidate once; the trial it adds to or makes. */
  async function runOnce(candidate: Candidate, existing?: TuneTrial): Promise<TuneTrial> {
    runNo += 1;
    const id = existing?.id ?? trials.length + 1;
    const profile = profileFor(candidate);
    const dir = join(
      'runs',
      `${pad(id)}${existing === undefined ? '' : `-${existing.runs.length + 1}`}`,
    );
    await mkdir(join(opts.out, dir), { recursive: true });
    const file = join(opts.out, dir, 'profile.yaml');
    await writeFile(file, stringify(profile));
    say(`run ${runNo} of ${total}: ${candidateLabel(candidate)}`);
    if (runNo > 1 && opts.settleMs > 0) {
      say(`settling for ${opts.settleMs / 1000}s`);
      await sleep(opts.settleMs, undefined, { signal: opts.signal }).catch(() => {});
    }
    const run = await targetFor(profile);
    const result = await runLevel(plan.scenario, run, { profile, file }, join(opts.out, dir), {
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      workers: opts.workers,
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      ...(opts.onFixtures === undefined ? {} : { onFixtures: opts.onFixtures }),
      onPhase: say,
      snapshotFile,
    });
    if (result.profile?.restoreError !== undefined) {
      throw new ApfbenchError(
        'APFBENCH_TUNE_FAILED',
        `restoring APF failed: ${result.profile.restoreError}`,
      );
    }
    if (result.status === 'aborted') {
      throw new ApfbenchError('APFBENCH_INTERRUPTED', 'interrupted', { kind: 'interrupted' });
    }
    const runs = [
      ...(loaded.get(id) ?? []),
      { source: join(dir, RESULT_FILE), profile: profileName, result },
    ];
    loaded.set(id, runs);
    const trial: TuneTrial = {
      id,
      candidate,
      label: candidateLabel(candidate),
      runs: runs.map((r) => r.source),
      ...scoreRuns(runs, plan),
    };
    if (existing === undefined) trials.push(trial);
    else trials[trials.indexOf(existing)] = trial;
    say(
      `run ${runNo} of ${total}: ${trial.meets ? 'meets every budget' : `BROKEN: ${trial.reasons.join('; ')}`}; objective ${trial.objective ?? 'n/a'}`,
    );
    return trial;
  }

  try {
    if (strategy === 'grid') {
      for (const c of gridCandidates(plan.dims)) {
        if (aborted()) break;
        await runOnce(c);
      }
    } else {
      let best = await runOnce(baseCandidate(plan.dims));
      for (const dim of plan.dims) {
        for (const c of neighbours(best.candidate, dim)) {
          if (aborted() || trials.length >= plan.maxRuns) break;
          await runOnce(c);
        }
        best = bestTrial(trials) ?? best;
      }
    }
    for (const f of finalists(trials, FINALISTS)) {
      if (aborted()) break;
      say(`finalist ${f.label}: once more, to rule out noise`);
      await runOnce(f.candidate, f);
    }
    if (aborted()) {
      status = 'partial';
      reason = 'interrupted';
    }
  } catch (err) {
    const interrupted = err instanceof ApfbenchError && err.kind === 'interrupted';
    status = interrupted ? 'partial' : 'failed';
    reason = err instanceof Error ? err.message : String(err);
    await open?.close().catch(() => {});
    open = undefined;
    const doc = await finish();
    if (interrupted) return doc;
    throw err;
  }
  await open?.close();
  open = undefined;
  return finish();

  async function finish(): Promise<TuneDoc> {
    const winner = finalists(trials, 1)[0];
    let profile: string | null = null;
    if (winner !== undefined && status === 'completed') {
      profile = TUNED_PROFILE_FILE;
      const header = `# Written by apfbench tune ${toolVersion} for scenario ${plan.scenario.metadata.name}: ${winner.label}\n`;
      await writeFile(join(opts.out, profile), header + stringify(profileFor(winner.candidate)));
    }
    const doc: TuneDoc = {
      schemaVersion: TUNE_SCHEMA_VERSION,
      tool: { name: 'apfbench', version: toolVersion },
      scenario: plan.scenario.metadata.name,
      createdAt: new Date().toISOString(),
      status,
      ...(reason === undefined ? {} : { reason }),
      strategy,
      maxRuns: plan.maxRuns,
      objective: plan.objective ?? 'fewest 429s',
      budgets: plan.budgets.map((b) => b.expr ?? b.metric ?? ''),
      dimensions: plan.dims.map((d) => ({ key: d.key, values: [...d.values] })),
      trials: [...trials],
      pareto: paretoFront(trials).map((t) => t.id),
      winner: winner?.id ?? null,
      profile,
    };
    await writeFile(join(opts.out, TUNE_FILE), `${JSON.stringify(doc, null, 2)}\n`);
    return doc;
  }
}
