/**
 * Progress as a person wants it. On a terminal, long phases are bars with counts and an ETA
 * (`cli-progress`, one MultiBar so that phase lines print above the bars): the control-plane
 * build, the fixtures, `compare`'s runs, and the load itself with its live figures. Without a
 * terminal (CI logs), plain lines at most every `everyMs`. With `--quiet`, nothing. What to print
 * is decided by pure functions (formatProgress, formatCount, LinePacer); only the printer writes.
 */
// A CommonJS module whose exports Node cannot name statically: the default import is its exports.
import cliProgress, {
  type MultiBar,
  type Options,
  type Params,
  type SingleBar,
} from 'cli-progress';
import type { Progress } from '../engine/coordinator.js';
import { otherErrorsOf } from '../report/model.js';

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * Error responses so far as the report's verdicts count them: not 429s (shown apart) or 409s,
 * nor the ones an actor expects (a kubelet's lookup of a Lease it has yet to create).
 */
export function progressErrors(p: Progress): number {
  return p.groups.reduce((n, g) => n + otherErrorsOf(g.type, g), 0);
}

/** The load's figures so far, without the time. */
function loadFigures(p: Progress): string[] {
  return [
    `${p.rps.toFixed(0)} req/s`,
    `sent ${p.sent}`,
    `errors ${progressErrors(p)}`,
    `429s ${p.throttled}`,
    ...(p.dropped > 0 ? [`dropped ${p.dropped}`] : []),
    `p99 ${p.p99Ms.toFixed(1)} ms`,
  ];
}

/** Where the load is: `12s/30s`, or, once the deadline passed, `draining, N in flight`. */
function loadState(p: Progress): string {
  return p.draining
    ? `draining, ${p.inFlight} in flight`
    : `${secs(p.elapsedMs)}/${secs(p.durationMs)}`;
}

/** One line of the load's progress. */
export function formatProgress(p: Progress): string {
  return [loadState(p), ...loadFigures(p)].join('  ');
}

/** `8s`, `1m40s`, `2h05m`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds left at the rate so far; undefined before anything is done. */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || elapsedMs <= 0) return undefined;
  return (Math.max(0, total - done) * elapsedMs) / done / 1000;
}

/** A counted phase as a plain line: `creating fixtures 1200/3000 (40%), ETA 8s`. */
export function formatCount(label: string, done: number, total: number, elapsedMs: number): string {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
  if (done >= total)
    return `${label} ${done}/${total} (100%) in ${formatSeconds(elapsedMs / 1000)}`;
  const eta = etaSeconds(done, total, elapsedMs);
  return `${label} ${done}/${total} (${pct}%)${eta === undefined ? '' : `, ETA ${formatSeconds(eta)}`}`;
}

export type ProgressMode = 'quiet' | 'bars' | 'lines';

/** Nothing with --quiet; bars on a terminal; plain lines otherwise. */
export function progressMode(o: { readonly quiet: boolean; readonly tty: boolean }): ProgressMode {
  if (o.quiet) return 'quiet';
  return o.tty ? 'bars' : 'lines';
}

/**
 * When a plain line is due, per key (one per phase): the first update, one at least `everyMs`
 * after the last line of that key, and a forced one (a phase that finished or changed state).
 */
export class LinePacer {
  private readonly last = new Map<string, number>();

  constructor(private readonly everyMs: number) {}

  due(key: string, nowMs: number, force = false): boolean {
    const last = this.last.get(key);
    if (!force && last !== undefined && nowMs - last < this.everyMs) return false;
    this.last.set(key, nowMs);
    return true;
  }

  /** The next update of `key` prints at once (a new run of a comparison). */
  forget(key: string): void {
    this.last.delete(key);
  }
}

export interface ProgressPrinter {
  /** A set-up or tear-down step, as a line. */
  readonly onPhase: (line: string) => void;
  /** The load's figures, once per interval. */
  readonly onProgress: (p: Progress) => void;
  /** A counted phase (`creating fixtures`): call with what is done of how many, as often as it moves. */
  readonly counter: (label: string) => (done: number, total: number) => void;
  /** Ends the bars (call before printing anything else). */
  readonly done: () => void;
}

interface PrinterOptions {
  readonly quiet: boolean;
  readonly stream?: NodeJS.WriteStream;
  readonly everyMs?: number;
  /** Milliseconds of a monotonic clock; injected by tests. */
  readonly now?: () => number;
}

/** The printer for `mode` (see `progressMode`). */
export function progressPrinter(opts: PrinterOptions): ProgressPrinter {
  const stream = opts.stream ?? process.stderr;
  const mode = progressMode({ quiet: opts.quiet, tty: stream.isTTY === true });
  if (mode === 'quiet') {
    return { onProgress: () => {}, onPhase: () => {}, counter: () => () => {}, done: () => {} };
  }
  const now = opts.now ?? (() => performance.now());
  return mode === 'bars' ? barPrinter(stream, now) : linePrinter(stream, now, opts.everyMs ?? 5000);
}

const LOAD = 'load';

function linePrinter(
  stream: NodeJS.WriteStream,
  now: () => number,
  everyMs: number,
): ProgressPrinter {
  const pacer = new LinePacer(everyMs);
  const counted = new Map<string, { readonly started: number; done: number }>();
  let lastElapsed = -Infinity;
  let wasDraining = false;
  return {
    onPhase: (line) => stream.write(`${line}\n`),
    onProgress: (p) => {
      // Elapsed time going back means the next run of a comparison started.
      if (p.elapsedMs < lastElapsed) {
        pacer.forget(LOAD);
        wasDraining = false;
      }
      lastElapsed = p.elapsedMs;
      // The line at the deadline, and the first one of the drain, print at once.
      const force = p.draining !== wasDraining;
      wasDraining = p.draining;
      if (pacer.due(LOAD, now(), force)) stream.write(`${formatProgress(p)}\n`);
    },
    counter: (label) => (done, total) => {
      const t = now();
      let phase = counted.get(label);
      // A count going back is the phase again (the next run of a comparison creates its fixtures).
      if (phase === undefined || done < phase.done) {
        phase = { started: t, done };
        counted.set(label, phase);
        pacer.forget(label);
      }
      phase.done = done;
      if (pacer.due(label, t, done >= total)) {
        stream.write(`${formatCount(label, done, total, t - phase.started)}\n`);
      }
    },
    done: () => {},
  };
}

interface BarPayload {
  readonly label: string;
  /** Replaces `value/total ETA` after the bar (the load's state and figures). */
  readonly text?: string;
}

/** `label ████░░░░ 1200/3000 ETA 8s`, or the payload's own text after the bar. */
const barFormat = (options: Options, params: Params, payload: BarPayload): string => {
  const bar = cliProgress.Format.BarFormat(params.progress, options);
  const counts =
    payload.text ??
    `${params.value}/${params.total}${params.value < params.total && Number.isFinite(params.eta) && params.eta > 0 ? ` ETA ${formatSeconds(params.eta)}` : ''}`;
  return `${payload.label.padEnd(18)} ${bar} ${counts}`;
};

function barPrinter(stream: NodeJS.WriteStream, now: () => number): ProgressPrinter {
  let multi: MultiBar | undefined;
  const bars = new Map<string, { bar: SingleBar; started: number }>();
  let load: { bar: SingleBar; elapsedMs: number } | undefined;
  const ensure = () =>
    (multi ??= new cliProgress.MultiBar(
      {
        stream,
        format: barFormat,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
        barsize: 24,
        fps: 5,
        etaBuffer: 30,
      },
      cliProgress.Presets.shades_classic,
    ));
  const log = (line: string) => {
    if (multi === undefined) stream.write(`${line}\n`);
    else multi.log(`${line}\n`);
  };
  const drop = (bar: SingleBar) => {
    multi?.remove(bar);
    if (multi !== undefined && bars.size === 0 && load === undefined) {
      multi.stop();
      multi = undefined;
    }
  };
  const endLoad = () => {
    if (load === undefined) return;
    const { bar } = load;
    load = undefined;
    drop(bar);
  };
  return {
    onPhase: (line) => {
      // Phases come between runs: the load bar of the one that ended goes.
      endLoad();
      log(line);
    },
    onProgress: (p) => {
      if (load !== undefined && p.elapsedMs < load.elapsedMs) endLoad();
      const total = Math.max(1, Math.round(p.durationMs / 1000));
      const value = Math.min(total, p.elapsedMs / 1000);
      const text = `${p.draining ? loadState(p) : `${loadState(p)} ETA ${formatSeconds(total - value)}`}  ${loadFigures(p).join('  ')}`;
      if (load === undefined) {
        load = {
          bar: ensure().create(total, value, { label: LOAD, text }),
          elapsedMs: p.elapsedMs,
        };
      } else {
        load.bar.update(value, { label: LOAD, text });
        load.elapsedMs = p.elapsedMs;
      }
    },
    counter: (label) => (done, total) => {
      let entry = bars.get(label);
      if (entry === undefined) {
        entry = { bar: ensure().create(total, done, { label }), started: now() };
        bars.set(label, entry);
      } else {
        entry.bar.setTotal(total);
        entry.bar.update(done, { label });
      }
      if (done >= total) {
        bars.delete(label);
        drop(entry.bar);
        log(formatCount(label, done, total, now() - entry.started));
      }
    },
    done: () => {
      endLoad();
      for (const { bar } of bars.values()) multi?.remove(bar);
      bars.clear();
      multi?.stop();
      multi = undefined;
    },
  };
}
