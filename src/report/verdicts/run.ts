/**
 * The verdicts of one run: one line per question a reader asks (healthy heartbeats? 429s? …),
 * each from its own function, in the order of `RUN_VERDICTS`. A function returns nothing when
 * its question does not arise (no kubelets, no watchers, no errors).
 */
import { levelJain } from '../../metrics/fairness.js';
import { describeLagCause } from '../../metrics/lag-cause.js';
import { harnessCostOf, type RunResult } from '../../result/result.js';
import type { GroupRow, Verdict } from '../model.js';
import { runtime } from '../runtime.js';
import { heartbeatsOf, watchOf } from '../totals.js';
import {
  CROSS_CHECK_TITLE,
  crossCheckLevel,
  crossCheckRows,
  describeCrossCheck,
} from './cross-check.js';
import {
  JAIN_WARN_BELOW,
  NOISY_THROTTLING_NOTE,
  THROTTLING_BAD_SHARE,
  sum,
  throttledOnlyNoisy,
  whose,
} from './facts.js';

const { formatCount, formatMs, formatPercent } = runtime;

interface RunFacts {
  readonly r: RunResult;
  readonly groups: readonly GroupRow[];
}

type RunVerdict = (run: RunFacts) => Verdict | undefined;

const total = (groups: readonly GroupRow[], pick: (g: GroupRow) => number) => sum(groups.map(pick));
const byGroup = (groups: readonly GroupRow[], pick: (g: GroupRow) => number) =>
  whose(groups.map((g) => [g.group, pick(g)]));

const status: RunVerdict = ({ r }) =>
  r.status === 'completed'
    ? undefined
    : {
        level: 'bad',
        topic: 'status',
        text:
          r.status === 'degraded'
            ? `The run is degraded${r.reason === undefined ? '' : `: ${r.reason}`}. Latencies cover only the requests the server answered.`
            : r.status === 'partial'
              ? `The run is partial${r.reason === undefined ? '' : `: ${r.reason}`}. Figures miss the lost agent's load after its last interval.`
              : `The run ${r.status === 'aborted' ? 'was aborted' : 'failed'}${r.reason === undefined ? '' : `: ${r.reason}`}. Figures cover only the part that ran.`,
      };

const heartbeats: RunVerdict = ({ r }) => {
  const hb = heartbeatsOf(r);
  if (hb === undefined) return undefined;
  const gap = `longest gap between renewals ${formatMs(hb.gapMs.max)}`;
  if (hb.missed > 0) {
    return {
      level: 'bad',
      topic: 'heartbeats',
      text: `Heartbeats missed: ${formatCount(hb.missed)} lease gap(s) exceeded the lease duration (nodes would go NotReady); ${gap}.`,
    };
  }
  if (hb.late > 0) {
    return {
      level: 'warn',
      topic: 'heartbeats',
      text: `Heartbeats late: ${formatCount(hb.late)} gap(s) exceeded 1.5 × the renew interval, none missed; ${gap}.`,
    };
  }
  return {
    level: 'ok',
    topic: 'heartbeats',
    text: `Heartbeats healthy: ${formatCount(hb.nodes)} node(s) renewed ${formatCount(hb.renewals)} times, none late; ${gap}.`,
  };
};

const throttling: RunVerdict = ({ r, groups }) => {
  const throttled = total(groups, (g) => g.throttled);
  if (throttled === 0) {
    return {
      level: 'ok',
      topic: 'throttling',
      text: 'No 429s: API Priority and Fairness rejected nothing.',
    };
  }
  const responses = total(groups, (g) => sum(g.codes.map(([, n]) => n)));
  const share = responses > 0 ? throttled / responses : 0;
  const onlyNoisy = throttledOnlyNoisy(r, groups);
  return {
    // Throttling the group named noisy is what APF is for: worth a look, not a failure.
    level: share > THROTTLING_BAD_SHARE && !onlyNoisy ? 'bad' : 'warn',
    topic: 'throttling',
    text: `${formatCount(throttled)} responses were 429 (${formatPercent(share)} of all) — ${byGroup(groups, (g) => g.throttled)}${onlyNoisy ? `; ${NOISY_THROTTLING_NOTE}` : ''}.`,
  };
};

const conflicts: RunVerdict = ({ groups }) => {
  const n = total(groups, (g) => g.conflicts);
  return n === 0
    ? { level: 'ok', topic: 'conflicts', text: 'No 409 conflicts.' }
    : {
        level: 'warn',
        topic: 'conflicts',
        text: `${formatCount(n)} responses were 409 Conflict — ${byGroup(groups, (g) => g.conflicts)}.`,
      };
};

/** A verdict on one count over the groups: none when it is 0, else `text(count, by group)`. */
const whenAny =
  (
    level: Verdict['level'],
    topic: Verdict['topic'],
    pick: (g: GroupRow) => number,
    text: (n: string, byGroups: string) => string,
  ): RunVerdict =>
  ({ groups }) => {
    const n = total(groups, pick);
    return n === 0
      ? undefined
      : { level, topic, text: text(formatCount(n), byGroup(groups, pick)) };
  };

const errors = whenAny(
  'bad',
  'errors',
  (g) => g.otherErrors,
  (n, by) =>
    `${n} other error responses or transport errors (not 429 or 409, nor a kubelet's lookup of a Lease it has yet to create, nor abandoned) — ${by}; see the codes in the table.`,
);

const dropped: RunVerdict = ({ r, groups }) => {
  const n = total(groups, (g) => g.dropped);
  if (n === 0) return undefined;
  // Results written before the cap judgement have no reasons: their counts per group, then.
  const capped = r.generator.cappedReasons ?? [];
  return {
    level: 'warn',
    topic: 'dropped',
    text:
      capped.length > 0
        ? `The intended load was not offered — ${capped.join('; ')}.`
        : `${formatCount(n)} sends were dropped because their group's in-flight cap was reached — ${byGroup(groups, (g) => g.dropped)}.`,
  };
};

const abandoned = whenAny(
  'warn',
  'abandoned',
  (g) => g.abandoned,
  (n, by) =>
    `${n} requests still in flight when the drain ended, abandoned (not counted as errors) — ${by}.`,
);

const watch: RunVerdict = ({ r }) => {
  const w = watchOf(r);
  if (w === undefined) return undefined;
  const figures = [
    ...(w.latencyMs.count > 0 ? [`watch latency p99 ${formatMs(w.latencyMs.p99)}`] : []),
    `${formatCount(w.restarts)} restart(s)`,
    `${formatCount(w.relists)} relist(s)`,
    ...(w.coveredByRelist !== undefined
      ? [`${formatCount(w.coveredByRelist)} missed event(s) covered by a relist's LIST`]
      : []),
  ].join(', ');
  if (w.lost === undefined) {
    return {
      level: 'ok',
      topic: 'watch',
      text: `Watches received ${formatCount(w.events)} event(s); ${figures}.`,
    };
  }
  return w.lost > 0
    ? {
        level: 'bad',
        topic: 'watch',
        text: `${formatCount(w.lost)} watch event(s) expected but seen neither as an event nor in a relist; ${figures}.`,
      }
    : {
        level: 'ok',
        topic: 'watch',
        text: `Watches saw every expected event (${formatCount(w.events)}); ${figures}.`,
      };
};

const fairness: RunVerdict = ({ r }) => {
  const levels = Object.entries(r.fairness?.priorityLevels ?? {});
  if (levels.length === 0) return undefined;
  const unfair = levels
    .filter(([, pl]) => levelJain(pl) < JAIN_WARN_BELOW)
    .map(([name, pl]) => `${name} (J = ${levelJain(pl).toFixed(2)})`);
  return unfair.length === 0
    ? {
        level: 'ok',
        topic: 'fairness',
        text: `Fair within every priority level (Jain's index ≥ ${JAIN_WARN_BELOW}).`,
      }
    : {
        level: 'warn',
        topic: 'fairness',
        text: `Unfair within ${unfair.join(', ')}: Jain's index below ${JAIN_WARN_BELOW}.`,
      };
};

const generator: RunVerdict = ({ r }) => {
  const gen = r.generator;
  const late = gen.reasons.join('; ');
  // Results written before the cause was judged have none: saturated is then the thresholds.
  const why =
    gen.lagCause === undefined ? '' : ` — ${describeLagCause(gen.lagCause, gen.lagEvidence)}`;
  if (gen.saturated) {
    return {
      level: 'bad',
      topic: 'generator',
      text: `The load generator was saturated (${late}): latencies include its own delay${why}.`,
    };
  }
  if (gen.lagCause === 'host') {
    return {
      level: 'warn',
      topic: 'generator',
      text: `Sends went out late (${late}), not for the load generator's own work${why}: latencies include that wait; a quieter machine gives cleaner figures.`,
    };
  }
  return {
    level: 'ok',
    topic: 'generator',
    text:
      gen.lagCause === 'server'
        ? `The load generator kept up; sends went out late (${late})${why}.`
        : `The load generator kept up: event-loop delay p99 ${formatMs(gen.eventLoopDelayMs.p99)}, utilisation ${formatPercent(gen.utilization)}, schedule lag p99 ${formatMs(gen.scheduleLagMs.p99)}.`,
  };
};

/** The harness's own cost next to the generator's verdict: a busy generator or a busy host. */
const harness: RunVerdict = ({ r }) => {
  const cost = harnessCostOf(r);
  if (cost === undefined) return undefined;
  const warn = cost.costly || cost.contended || cost.stalled;
  const text = `${cost.text.charAt(0).toUpperCase()}${cost.text.slice(1)}.`;
  return { level: warn ? 'warn' : 'ok', topic: 'harness', text };
};

const crossCheck: RunVerdict = ({ r }) => {
  const row = crossCheckRows(r.scenario.metadata.name, r)[0];
  if (row === undefined) return undefined;
  return {
    level: crossCheckLevel(row),
    topic: 'cross-check',
    text: `${CROSS_CHECK_TITLE}: ${describeCrossCheck(row)}${row.other > 0 ? '; server.crossCheck in result.json has the counts per flow schema' : ''}.`,
  };
};

/** In the order the lines are shown. */
const RUN_VERDICTS: readonly RunVerdict[] = [
  status,
  heartbeats,
  throttling,
  conflicts,
  errors,
  dropped,
  abandoned,
  watch,
  fairness,
  crossCheck,
  generator,
  harness,
];

export function verdicts(r: RunResult, groups: readonly GroupRow[]): Verdict[] {
  return RUN_VERDICTS.flatMap((verdict) => verdict({ r, groups }) ?? []);
}
