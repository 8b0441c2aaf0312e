/**
 * Why a generator's sends went out late, when they did. Schedule lag and event-loop delay beyond
 * their thresholds (generator-health.ts) have three causes that call for different remedies:
 *
 * - the generator's own work: its thread ran most of the time it lagged (more workers, a coarser
 *   timer step);
 * - a busy host: its thread was runnable but waited for a CPU that other processes had (the
 *   run delay of `/proc/thread-self/schedstat`, thread-cpu.ts): a quieter machine;
 * - a stalled server: requests were in flight and the server answered none, so actors that wait
 *   for an answer before their next send (a kubelet's status loop, a reconcile) sent late once it
 *   answered again. That is the server's figure, not the generator's.
 *
 * Each worker records, per interval, whether the interval crossed a threshold and what its thread
 * did; `judgeLagCause` weighs the sums over the intervals that lagged.
 */
import { z } from 'zod';
import { formatMs } from './format.js';
import { cpuBetween, type ThreadCpu } from './thread-cpu.js';

export const lagCauseSchema = z.enum(['generator', 'host', 'server', 'unknown']);
/** `unknown`: no CPU readings (not Linux), so the generator cannot be told from the host. */
export type LagCause = z.infer<typeof lagCauseSchema>;

export const lagEvidenceSchema = z.object({
  /**
   * Worker intervals the evidence covers: those in which a threshold was crossed, or every
   * measured interval when none was by itself (the lag was spread thin over the run).
   */
  intervals: z.number(),
  /** Their wall time, ms, summed over workers. */
  wallMs: z.number(),
  /** CPU time the worker threads ran in them, ms (Linux). */
  cpuMs: z.number().optional(),
  /** Time the worker threads were runnable but got no CPU, ms (Linux): CPU they never got. */
  runDelayMs: z.number().optional(),
  /**
   * Wall time of those intervals in which, or just after which, requests were in flight and the
   * server answered none of them for a whole interval, ms.
   */
  serverStalledMs: z.number(),
});
export type LagEvidence = z.infer<typeof lagEvidenceSchema>;

/**
 * The shares of the lagging wall time that decide. The generator is busy with its own work when
 * its thread ran at least half of it (and ran more than it waited); the server explains the lag
 * when it was silent for at least half of it.
 */
export const LAG_CAUSE_SHARES = { ownCpu: 0.5, serverStalled: 0.5 } as const;

/**
 * Pure. A stalled server first: when most of the lagging came during or right after a spell in
 * which the server answered nothing, the stall set it off, even where the generator then ran
 * hard to read the burst of answers that followed (no CPU readings needed for that). Then the
 * generator's own work, then the host when the thread waited longer for a CPU than it ran.
 * Bursts of its own work that neither ran half the time nor waited (a large response parsed at
 * once) are the generator's.
 */
export function judgeLagCause(e: LagEvidence): LagCause {
  if (e.wallMs > 0 && e.serverStalledMs >= LAG_CAUSE_SHARES.serverStalled * e.wallMs)
    return 'server';
  if (e.cpuMs === undefined) return 'unknown';
  const waited = e.runDelayMs ?? 0;
  if (e.cpuMs >= LAG_CAUSE_SHARES.ownCpu * e.wallMs && e.cpuMs >= waited) return 'generator';
  return e.runDelayMs !== undefined && e.runDelayMs > e.cpuMs ? 'host' : 'generator';
}

/** Which workers' causes make the run's: the generator's own work outweighs the rest. */
const CAUSE_ORDER: readonly LagCause[] = ['generator', 'unknown', 'host', 'server'];

/** Pure. The run's cause from its lagging workers' causes. */
export function worstLagCause(causes: readonly LagCause[]): LagCause | undefined {
  return CAUSE_ORDER.find((c) => causes.includes(c));
}

/** Pure. The evidence of several workers: their intervals, times and readings added up. */
export function sumLagEvidence(all: readonly LagEvidence[]): LagEvidence | undefined {
  if (all.length === 0) return undefined;
  const add = (pick: (e: LagEvidence) => number | undefined): number | undefined =>
    all.some((e) => pick(e) === undefined)
      ? undefined
      : round1(all.reduce((n, e) => n + (pick(e) ?? 0), 0));
  return withOptional(
    {
      intervals: all.reduce((n, e) => n + e.intervals, 0),
      wallMs: add((e) => e.wallMs) ?? 0,
      serverStalledMs: add((e) => e.serverStalledMs) ?? 0,
    },
    add((e) => e.cpuMs),
    add((e) => e.runDelayMs),
  );
}

/** What one worker saw over one interval, as read at the interval's end. */
export interface IntervalReading {
  /** The interval's wall time, ms. */
  readonly wallMs: number;
  /** Its figures crossed a saturation threshold (`judgeSaturation` on them). */
  readonly lagging: boolean;
  /** The thread's cumulative CPU at the interval's end; undefined where unreadable. */
  readonly cpu: ThreadCpu | undefined;
  /** Requests in flight at the interval's end. */
  readonly inFlight: number;
  /** HTTP responses received during the interval. */
  readonly answered: number;
  /** After the warm-up; earlier intervals only move the baselines on. */
  readonly measured: boolean;
}

interface Sums {
  intervals: number;
  wallMs: number;
  cpuMs: number;
  runDelayMs: number;
  serverStalledMs: number;
  cpuKnown: boolean;
}

const emptySums = (): Sums => ({
  intervals: 0,
  wallMs: 0,
  cpuMs: 0,
  runDelayMs: 0,
  serverStalledMs: 0,
  cpuKnown: true,
});

/**
 * One worker's evidence, interval by interval (`add` at each interval's end, in order). Pure: the
 * worker passes its readings in.
 */
export class LagEvidenceRecorder {
  private readonly lagging = emptySums();
  private readonly measured = emptySums();
  private cpu: ThreadCpu | undefined;
  private inFlight: number;
  private silent = false;

  /** `cpu` and `inFlight` as read at the start of the first interval. */
  constructor(start: { readonly cpu: ThreadCpu | undefined; readonly inFlight: number }) {
    this.cpu = start.cpu;
    this.inFlight = start.inFlight;
  }

  add(r: IntervalReading): void {
    const cpu = cpuBetween(this.cpu, r.cpu);
    // A whole interval with requests in flight at both ends and no answer: the server was
    // silent. Sends that waited for an answer go out late in the interval after it.
    const silent = this.inFlight > 0 && r.inFlight > 0 && r.answered === 0;
    const stalled = silent || this.silent;
    this.cpu = r.cpu;
    this.inFlight = r.inFlight;
    this.silent = silent;
    if (!r.measured) return;
    for (const sums of r.lagging ? [this.lagging, this.measured] : [this.measured]) {
      sums.intervals++;
      sums.wallMs += r.wallMs;
      if (stalled) sums.serverStalledMs += r.wallMs;
      if (cpu === undefined) sums.cpuKnown = false;
      else {
        sums.cpuMs += cpu.runMs;
        sums.runDelayMs += cpu.waitMs;
      }
    }
  }

  /**
   * The thread's CPU over every interval after the warm-up (the drain's included); undefined
   * where unreadable.
   */
  measuredCpu(): ThreadCpu | undefined {
    const s = this.measured;
    if (!s.cpuKnown || s.intervals === 0) return undefined;
    return { runMs: round1(s.cpuMs), waitMs: round1(s.runDelayMs) };
  }

  /** Over the intervals that lagged, or every measured one when none did by itself. */
  evidence(): LagEvidence {
    const s = this.lagging.intervals > 0 ? this.lagging : this.measured;
    return withOptional(
      {
        intervals: s.intervals,
        wallMs: round1(s.wallMs),
        serverStalledMs: round1(s.serverStalledMs),
      },
      s.cpuKnown && s.intervals > 0 ? round1(s.cpuMs) : undefined,
      s.cpuKnown && s.intervals > 0 ? round1(s.runDelayMs) : undefined,
    );
  }
}

/**
 * Pure. Why the generator lagged, with its evidence, for the verdicts, the console and `check`:
 * "generator saturated: …", "host busy: the generator waited … for CPU …", "server stalled: …".
 */
export function describeLagCause(cause: LagCause, e: LagEvidence | undefined): string {
  const span = e === undefined ? '' : ` in the ${formatMs(e.wallMs)} it lagged`;
  switch (cause) {
    case 'generator': {
      const waited =
        e?.runDelayMs === undefined ? '' : ` (and waited ${formatMs(e.runDelayMs)} for more)`;
      return e?.cpuMs === undefined
        ? 'generator saturated: its own work made it late'
        : `generator saturated: its threads ran ${formatMs(e.cpuMs)} of CPU${waited}${span}`;
    }
    case 'host':
      return `host busy: the generator waited ${formatMs(e?.runDelayMs ?? 0)} for CPU that other processes had (it ran ${formatMs(e?.cpuMs ?? 0)})${span}`;
    case 'server':
      return `server stalled: ${formatMs(e?.serverStalledMs ?? 0)}${e === undefined ? '' : ` of the ${formatMs(e.wallMs)}`} the generator lagged came during or just after a spell in which the server answered none of the requests in flight; sends that waited for its answers went out late`;
    case 'unknown':
      return 'cause unknown: no per-thread CPU figures on this platform tell the generator from the host';
  }
}

function withOptional(
  base: Omit<LagEvidence, 'cpuMs' | 'runDelayMs'>,
  cpuMs: number | undefined,
  runDelayMs: number | undefined,
): LagEvidence {
  return {
    ...base,
    ...(cpuMs === undefined ? {} : { cpuMs }),
    ...(runDelayMs === undefined ? {} : { runDelayMs }),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
