/**
 * Verdict lines for a comparison: per topic, each profile against the baseline ("tight: 251
 * 429s (all lister) vs 0 under k8s-defaults"), a mean over its runs when repeated, with the
 * groups it belongs to, and the level of the worst run (the runs' own verdicts decide the
 * levels, so a comparison and its runs never disagree). A topic that is fine under every profile
 * takes one OK line. Each topic has its own function, in the order of `comparisonVerdicts`.
 */
import { levelJain } from '../../metrics/fairness.js';
import { describeLagCause } from '../../metrics/lag-cause.js';
import type { ComparisonRun, RunResult } from '../../result/result.js';
import type { ComparisonInput } from '../comparison.js';
import { formatFigure, formatInterval, formatSigned } from '../figures.js';
import { groupRows, type GroupRow, type Verdict, type VerdictLevel } from '../model.js';
import { runtime } from '../runtime.js';
import { heartbeatsOf, watchOf } from '../totals.js';
import { JAIN_WARN_BELOW, NOISY_THROTTLING_NOTE, sum, throttledOnlyNoisy, whose } from './facts.js';
import { CROSS_CHECK_TITLE, crossCheckRows, describeCrossCheck } from './cross-check.js';
import { verdicts as runVerdicts } from './run.js';

const { formatCount, formatMs } = runtime;

export interface ComparedRun {
  readonly run: ComparisonRun;
  readonly result: RunResult;
  readonly label: string;
}

/** The facts about one run that the comparison's verdicts set side by side. */
interface RunFacts {
  /** Its group rows, for the counts per group (429s, errors, …). */
  readonly groups: readonly GroupRow[];
  /** It had 429s, all on groups named noisy. */
  readonly throttledOnlyNoisy: boolean;
  readonly heartbeats: { readonly late: number; readonly missed: number } | undefined;
  readonly watchLost: number | undefined;
  /** The least fair priority level. */
  readonly leastFair: { readonly level: string; readonly jain: number } | undefined;
  /** Each topic's level in the run's own verdicts. */
  readonly levels: ReadonlyMap<Verdict['topic'], VerdictLevel>;
}

function factsOf(result: RunResult, groups: readonly GroupRow[]): RunFacts {
  const hb = heartbeatsOf(result);
  const levels = Object.entries(result.fairness?.priorityLevels ?? {}).sort(
    ([a, x], [b, y]) => levelJain(x) - levelJain(y) || a.localeCompare(b),
  );
  const least = levels[0];
  return {
    groups,
    throttledOnlyNoisy: throttledOnlyNoisy(result, groups),
    heartbeats: hb === undefined ? undefined : { late: hb.late, missed: hb.missed },
    watchLost: watchOf(result)?.lost,
    leastFair: least === undefined ? undefined : { level: least[0], jain: levelJain(least[1]) },
    levels: new Map(runVerdicts(result, groups).map((v) => [v.topic, v.level])),
  };
}

const RANK: Record<VerdictLevel, number> = { ok: 0, warn: 1, bad: 2 };
const worst = (levels: readonly VerdictLevel[]): VerdictLevel =>
  levels.reduce<VerdictLevel>((w, l) => (RANK[l] > RANK[w] ? l : w), 'ok');
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : sum(xs) / xs.length);
const count = (n: number) => formatFigure('count', n);

/** A compared run with its facts. */
interface FactsOfRun extends ComparedRun {
  readonly profile: string;
  readonly facts: RunFacts;
}

/** What every comparison verdict reads: the runs' facts and ways of setting profiles side by side. */
class Compared {
  readonly facts: readonly FactsOfRun[];
  readonly baseline: string;
  /** The profiles that have runs, in the comparison's order. */
  readonly names: readonly string[];
  readonly others: readonly string[];
  /** " (mean of 3 runs each)" when repeated. */
  readonly repeated: string;

  constructor(
    readonly c: ComparisonInput,
    readonly runs: readonly ComparedRun[],
  ) {
    this.facts = runs.map((r) => ({
      ...r,
      profile: r.run.profile,
      facts: factsOf(r.result, groupRows(r.label, r.result)),
    }));
    this.baseline = c.summary.baseline;
    this.names = c.profiles
      .map((p) => p.name)
      .filter((p) => this.facts.some((f) => f.profile === p));
    this.others = this.names.filter((p) => p !== this.baseline);
    this.repeated = c.repeat > 1 ? ` (mean of ${c.repeat} runs each)` : '';
  }

  ofProfile(p: string): FactsOfRun[] {
    return this.facts.filter((f) => f.profile === p);
  }

  /** The worst level any run's own verdict on `topic` had. */
  level(topic: Verdict['topic']): VerdictLevel {
    return worst(this.facts.map((f) => f.facts.levels.get(topic) ?? 'ok'));
  }

  /** "tight: 251 429s vs 0 under k8s-defaults; isolate: …", or the baseline alone. */
  contrast(describe: (p: string) => string, short: (p: string) => string): string {
    const { names, others, baseline } = this;
    return others.length === 0 || !names.includes(baseline)
      ? names.map((p) => `${p}: ${describe(p)}`).join('; ')
      : others
          .map((p) => `${p}: ${describe(p)} vs ${short(baseline)} under ${baseline}`)
          .join('; ');
  }

  meanOf(p: string, pick: (f: RunFacts) => number): number {
    return mean(this.ofProfile(p).map((f) => pick(f.facts)));
  }

  /** A profile's figure per group: the mean over its runs. */
  perGroup(p: string, pick: (g: GroupRow) => number): (readonly [string, number])[] {
    const own = this.ofProfile(p);
    const totals = new Map<string, number>();
    for (const g of own.flatMap((f) => f.facts.groups)) {
      totals.set(g.group, (totals.get(g.group) ?? 0) + pick(g));
    }
    return [...totals].map(([group, n]) => [group, n / own.length] as const);
  }

  total(p: string, pick: (g: GroupRow) => number): number {
    return sum(this.perGroup(p, pick).map(([, n]) => n));
  }

  /** "12 (all noisy)", "15 (quiet: 12, noisy: 3)", or "0". */
  counted(p: string, pick: (g: GroupRow) => number, unit = ''): string {
    const shares = whose(this.perGroup(p, pick), count);
    return `${count(this.total(p, pick))}${unit}${shares === '' ? '' : ` (${shares})`}`;
  }

  /** Every run with 429s had them only on groups named noisy. */
  noisyOnly(): boolean {
    const throttled = this.facts.filter((f) => f.facts.groups.some((g) => g.throttled > 0));
    return throttled.length > 0 && throttled.every((f) => f.facts.throttledOnlyNoisy);
  }

  /** "; 95% interval of the difference: tight +532 [75, 989], significant", or nothing. */
  significance(figure: string): string {
    const f = this.c.summary.figures.find((x) => x.figure === figure);
    const parts = this.others.flatMap((p) => {
      const d = f?.differences[p];
      const interval = d === undefined ? undefined : formatInterval('count', d);
      return interval === undefined || d === undefined
        ? []
        : [
            `${p} ${formatSigned('count', d.diff)} ${interval}${d.significant === true ? ', significant' : ', within noise'}`,
          ];
    });
    return parts.length === 0 ? '' : `; 95% interval of the difference: ${parts.join('; ')}`;
  }
}

type ComparisonVerdict = (c: Compared) => Verdict | undefined;

const status: ComparisonVerdict = ({ c, facts, runs }) => {
  const unfinished = facts.filter((f) => f.run.status !== 'completed');
  if (c.status === 'completed' && unfinished.length === 0) return undefined;
  const why = c.reason === undefined ? '' : `: ${c.reason}`;
  return {
    level: 'bad',
    topic: 'status',
    text: `The comparison ${c.status === 'completed' ? 'completed' : c.status === 'aborted' ? 'was aborted' : 'failed'}${why}; ${formatCount(runs.length)} run(s) recorded${unfinished.length > 0 ? `, not completed: ${unfinished.map((f) => `${f.label} (${f.run.status})`).join(', ')}; they are shown, but left out of the differences and intervals` : ''}. Figures cover only what ran.`,
  };
};

const heartbeats: ComparisonVerdict = (cmp) => {
  if (!cmp.facts.some((f) => f.facts.heartbeats !== undefined)) return undefined;
  const late = (p: string) => cmp.meanOf(p, (f) => f.heartbeats?.late ?? 0);
  const missed = (p: string) => cmp.meanOf(p, (f) => f.heartbeats?.missed ?? 0);
  const hurt = cmp.names.some((p) => late(p) > 0 || missed(p) > 0);
  return {
    level: cmp.level('heartbeats'),
    topic: 'heartbeats',
    text: hurt
      ? `Heartbeats${cmp.repeated}: ${cmp.contrast(
          (p) => `${count(late(p))} late and ${count(missed(p))} missed renewal gap(s)`,
          (p) => `${count(late(p))} and ${count(missed(p))}`,
        )}.`
      : 'Heartbeats healthy under every profile: no renewal gap late or missed.',
  };
};

/** A verdict topic that counts something per actor group, and how its comparison line reads. */
interface CountedTopic {
  readonly topic: Verdict['topic'];
  readonly pick: (g: GroupRow) => number;
  /** The line's heading, and the word after a profile's count. */
  readonly title: string;
  readonly unit: string;
  /** The line when no profile has any; absent: no line then. */
  readonly none?: string;
  /** The figure of comparison.json whose 95 % interval the line quotes. */
  readonly figure?: string;
  readonly after?: string;
}

const NO_429S = 'No 429s under any profile: API Priority and Fairness rejected nothing.';
const NO_409S = 'No 409 conflicts under any profile.';
const OTHER_ERRORS = 'Other error responses and transport errors';
const ABANDONED = 'Requests still in flight when the drain ended, abandoned';

/** The line of a counted topic: each profile's count, with the groups it belongs to. */
const counted =
  (t: CountedTopic): ComparisonVerdict =>
  (cmp) => {
    if (cmp.names.every((p) => cmp.total(p, t.pick) === 0)) {
      return t.none === undefined ? undefined : { level: 'ok', topic: t.topic, text: t.none };
    }
    const noisy = t.topic === 'throttling' && cmp.noisyOnly() ? `; ${NOISY_THROTTLING_NOTE}` : '';
    return {
      level: cmp.level(t.topic),
      topic: t.topic,
      text: `${t.title}${cmp.repeated}: ${cmp.contrast(
        (p) => cmp.counted(p, t.pick, ` ${t.unit}`),
        (p) => cmp.counted(p, t.pick),
      )}${t.figure === undefined ? '' : cmp.significance(t.figure)}${t.after ?? ''}${noisy}.`,
    };
  };

// Each counted topic: its GroupRow figure, heading, unit, and the line when no profile has any.
const COUNTS = (
  [
    ['throttling', 'throttled', '429s', '429s', { none: NO_429S, figure: 'all.429s' }],
    ['conflicts', 'conflicts', '409 conflicts', '409s', { none: NO_409S }],
    ['errors', 'otherErrors', OTHER_ERRORS, 'errors', { after: '; see the codes in the table' }],
    ['dropped', 'dropped', 'Sends dropped at an in-flight cap', 'dropped', {}],
    ['abandoned', 'abandoned', ABANDONED, 'abandoned', { after: '; not counted as errors' }],
  ] as const
).map(([topic, key, title, unit, more]) =>
  counted({ topic, pick: (g) => g[key], title, unit, ...more }),
);

const watch: ComparisonVerdict = (cmp) => {
  if (!cmp.facts.some((f) => f.facts.watchLost !== undefined)) return undefined;
  const lost = (p: string) => cmp.meanOf(p, (f) => f.watchLost ?? 0);
  return {
    level: cmp.level('watch'),
    topic: 'watch',
    text: cmp.names.every((p) => lost(p) === 0)
      ? 'Watches saw every expected event under every profile.'
      : `Watch events expected but never seen${cmp.repeated}: ${cmp.contrast(
          (p) => `${count(lost(p))} lost`,
          (p) => count(lost(p)),
        )}.`,
  };
};

const fairness: ComparisonVerdict = (cmp) => {
  if (!cmp.facts.some((f) => f.facts.leastFair !== undefined)) return undefined;
  /** The least fair level over a profile's runs. */
  const least = (p: string) =>
    cmp
      .ofProfile(p)
      .flatMap((f) => (f.facts.leastFair === undefined ? [] : [f.facts.leastFair]))
      .sort((a, b) => a.jain - b.jain)[0];
  const text = (p: string) => {
    const l = least(p);
    return l === undefined ? 'no fairness figures' : `J = ${l.jain.toFixed(2)} (${l.level})`;
  };
  const fair = cmp.names.every((p) => (least(p)?.jain ?? 1) >= JAIN_WARN_BELOW);
  return {
    level: cmp.level('fairness'),
    topic: 'fairness',
    text: fair
      ? `Fair within every priority level under every profile (Jain's index ≥ ${JAIN_WARN_BELOW}).`
      : `Least fair priority level (Jain's index; below ${JAIN_WARN_BELOW} is unfair): ${cmp.contrast(text, text)}.`,
  };
};

const crossCheck: ComparisonVerdict = (cmp) => {
  const rows = cmp.facts.flatMap((f) => crossCheckRows(f.label, f.result));
  if (rows.length === 0) return undefined;
  return {
    level: cmp.level('cross-check'),
    topic: 'cross-check',
    text: `${CROSS_CHECK_TITLE}: ${rows.map((row) => `${row.run}: ${describeCrossCheck(row)}`).join('; ')}.`,
  };
};

const generator: ComparisonVerdict = ({ facts }) => {
  const saturated = facts.filter((f) => f.result.generator.saturated);
  const hostBusy = facts.filter(
    (f) => !f.result.generator.saturated && f.result.generator.lagCause === 'host',
  );
  if (saturated.length > 0) {
    return {
      level: 'bad',
      topic: 'generator',
      text: `The load generator was saturated in ${formatCount(saturated.length)} of ${formatCount(facts.length)} run(s) (${saturated.map((f) => `${f.label}: schedule lag p99 ${formatMs(f.result.generator.scheduleLagMs.p99)}`).join(', ')}): their latencies include its own delay; each run's reasons are in its result.json.`,
    };
  }
  if (hostBusy.length > 0) {
    return {
      level: 'warn',
      topic: 'generator',
      text: `The host was busy in ${formatCount(hostBusy.length)} of ${formatCount(facts.length)} run(s), not the load generator (${hostBusy.map((f) => `${f.label}: ${describeLagCause('host', f.result.generator.lagEvidence)}`).join('; ')}): their latencies include that wait.`,
    };
  }
  return { level: 'ok', topic: 'generator', text: 'The load generator kept up in every run.' };
};

/** In the order the lines are shown. */
const COMPARISON_VERDICTS: readonly ComparisonVerdict[] = [
  status,
  heartbeats,
  ...COUNTS,
  watch,
  fairness,
  crossCheck,
  generator,
];

export function comparisonVerdicts(c: ComparisonInput, runs: readonly ComparedRun[]): Verdict[] {
  const compared = new Compared(c, runs);
  return COMPARISON_VERDICTS.flatMap((verdict) => verdict(compared) ?? []);
}
