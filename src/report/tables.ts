/**
 * The tables both renderers show, as columns: which columns a table has, their headings and the
 * text of each cell, formatted for people. The HTML renderer escapes and lays them out in full;
 * summary.md, kept small for a pull-request comment, shows the columns marked for it, with
 * lower-case headings. Neither renderer decides what a column holds.
 */
import type { Difference } from '../metrics/compare-stats.js';
import { formatInterval, formatRelative, formatSigned } from './comparison.js';
import type { Range } from '../metrics/fairness.js';
import type {
  ConnectionRow,
  CrossCheckRow,
  FairnessRow,
  FigureUnit,
  GroupRow,
  ReportModel,
  SweepLevelRow,
  SweepSection,
} from './model.js';
import { runtime } from './runtime.js';

export type TableLayout = 'page' | 'summary';

export interface Column<Row> {
  readonly head: string;
  /** Right-aligned, tabular figures. */
  readonly numeric: boolean;
  readonly cell: (row: Row) => string;
}

/** A column, and the layouts that show it. */
interface LaidOutColumn<Row> extends Column<Row> {
  readonly in: readonly TableLayout[];
  /** summary.md's heading, where it is not the page's in lower case. */
  readonly summaryHead?: string;
}

const BOTH: readonly TableLayout[] = ['page', 'summary'];
const PAGE: readonly TableLayout[] = ['page'];
const SUMMARY: readonly TableLayout[] = ['summary'];

const { formatCount, formatMs, formatRate, formatPercent } = runtime;

function select<Row>(columns: readonly LaidOutColumn<Row>[], layout: TableLayout): Column<Row>[] {
  return columns
    .filter((c) => c.in.includes(layout))
    .map(({ head, summaryHead, numeric, cell }) => ({
      head: layout === 'summary' ? (summaryHead ?? head.toLowerCase()) : head,
      numeric,
      cell,
    }));
}

const runColumn = <Row extends { readonly run: string }>(multi: boolean): LaidOutColumn<Row>[] =>
  multi ? [{ head: 'Run', numeric: false, cell: (r) => r.run, in: BOTH }] : [];

const count = (head: string, pick: (g: GroupRow) => number, layouts = BOTH) => ({
  head,
  numeric: true,
  cell: (g: GroupRow) => formatCount(pick(g)),
  in: layouts,
});
const ms = (head: string, pick: (g: GroupRow) => number, layouts = BOTH) => ({
  head,
  numeric: true,
  cell: (g: GroupRow) => formatMs(pick(g)),
  in: layouts,
});

/** One row per actor group (per run when `multi`). */
export function groupColumns(multi: boolean, layout: TableLayout): Column<GroupRow>[] {
  return select<GroupRow>(
    [
      ...runColumn<GroupRow>(multi),
      {
        head: 'Group',
        numeric: false,
        cell: (g) => `${g.group} (${g.instances} × ${g.type})`,
        in: PAGE,
      },
      { head: 'Group', numeric: false, cell: (g) => g.group, in: SUMMARY },
      {
        head: 'Response codes',
        numeric: false,
        cell: (g) => g.codes.map(([c, n]) => `${c}: ${formatCount(n)}`).join(', ') || 'none',
        in: PAGE,
      },
      count('Requests', (g) => g.requests),
      { head: 'Rate', numeric: true, cell: (g) => formatRate(g.ratePerSecond), in: BOTH },
      ms('p50', (g) => g.latencyMs.p50),
      ms('p90', (g) => g.latencyMs.p90, PAGE),
      ms('p99', (g) => g.latencyMs.p99),
      ms('p99.9', (g) => g.latencyMs.p999),
      ms('max', (g) => g.latencyMs.max),
      count('Dropped', (g) => g.dropped),
      count('Retries', (g) => g.retries, PAGE),
      count('429s', (g) => g.throttled),
      count('409s', (g) => g.conflicts),
      // What the errors verdict counts: not 429s, 409s, a kubelet's expected 404, nor requests
      // abandoned when the drain ended before the server answered them.
      count('Other errors', (g) => g.otherErrors, SUMMARY),
      count('Abandoned', (g) => g.abandoned),
    ],
    layout,
  );
}

/** One row per priority level (per run when `multi`). */
export function fairnessColumns(multi: boolean, layout: TableLayout): Column<FairnessRow>[] {
  const share = (v: number | undefined) => (v === undefined ? '–' : formatPercent(v));
  return select<FairnessRow>(
    [
      ...runColumn<FairnessRow>(multi),
      { head: 'Priority level', numeric: false, cell: (f) => f.priorityLevel, in: BOTH },
      { head: 'Flows', numeric: true, cell: (f) => formatCount(f.flows), in: BOTH },
      {
        head: "Jain's index",
        summaryHead: "Jain's index",
        numeric: true,
        cell: (f) => f.jainIndex.toFixed(3),
        in: BOTH,
      },
      { head: 'Seat share', numeric: true, cell: (f) => share(f.seatShare), in: PAGE },
      { head: 'Nominal share', numeric: true, cell: (f) => share(f.nominalShare), in: PAGE },
      // The seats the configuration gives the level, and what it ran with (borrowing, lending),
      // as the server's metrics report them: the figures users hold against their configuration.
      {
        head: 'Nominal seats',
        numeric: true,
        cell: (f) => (f.nominalSeats === undefined ? '–' : formatCount(f.nominalSeats)),
        in: PAGE,
      },
      {
        head: 'Current seats',
        numeric: true,
        cell: (f) => seatRange(f.currentSeats),
        in: PAGE,
      },
    ],
    layout,
  );
}

/** One row per connection pool (per run when `multi`): how the actors reached the server. */
export function connectionColumns(multi: boolean, layout: TableLayout): Column<ConnectionRow>[] {
  return select<ConnectionRow>(
    [
      ...runColumn<ConnectionRow>(multi),
      { head: 'Groups', numeric: false, cell: (c) => c.groups, in: BOTH },
      { head: 'Protocol', numeric: false, cell: (c) => c.protocol, in: BOTH },
      { head: 'Connection', numeric: false, cell: (c) => c.connection, in: BOTH },
      {
        head: 'Streams per connection',
        numeric: true,
        cell: (c) =>
          c.maxStreamsPerConnection === undefined ? '–' : String(c.maxStreamsPerConnection),
        in: PAGE,
      },
      { head: 'Opened', numeric: true, cell: (c) => formatCount(c.opened), in: BOTH },
      { head: 'Peak open', numeric: true, cell: (c) => formatCount(c.peakOpen), in: BOTH },
    ],
    layout,
  );
}

/** One line per run: the server's peak of open watches. */
export function serverWatches(model: ReportModel): string[] {
  const multi = model.runs.length > 1;
  return model.serverOpenWatches.map(
    (w) =>
      `${multi ? `${w.run}: ` : ''}the server had at most ${w.peak} watches open at once (apiserver_longrunning_requests).`,
  );
}

/** `3` when a gauge held still, `3–16` when it moved. */
function seatRange(r: Range | undefined): string {
  if (r === undefined) return '–';
  return r.min === r.max ? formatCount(r.min) : `${formatCount(r.min)}–${formatCount(r.max)}`;
}

/** One row per run whose 429s differ from the server's rejections (the page only). */
export function crossCheckColumns(multi: boolean): Column<CrossCheckRow>[] {
  const n = (head: string, pick: (r: CrossCheckRow) => number) => ({
    head,
    numeric: true,
    cell: (r: CrossCheckRow) => formatCount(pick(r)),
    in: PAGE,
  });
  return select<CrossCheckRow>(
    [
      ...runColumn<CrossCheckRow>(multi),
      n('429s received', (r) => r.client429),
      n('Rejected by the server', (r) => r.serverRejected),
      n('Unanswered requests', (r) => r.clientUnanswered),
      n('Abandoned before the 429', (r) => r.abandoned),
      n('In flight at the end', (r) => r.inFlightAtEnd),
      n('Unexplained', (r) => r.other),
    ],
    'page',
  );
}

/**
 * A profile's difference from the baseline as the differences table shows it: the difference,
 * the relative change and, with repeats, the 95 % interval followed by `mark` when it excludes 0.
 */
export function differenceCells(
  unit: FigureUnit,
  d: Difference | undefined,
  repeats: boolean,
  mark: string,
): string[] {
  const interval =
    d === undefined
      ? '–'
      : `${formatInterval(unit, d) ?? '–'}${d.significant === true ? mark : ''}`;
  return [
    d === undefined ? '–' : formatSigned(unit, d.diff),
    d === undefined ? '–' : formatRelative(d),
    ...(repeats ? [interval] : []),
  ];
}

/** A sweep's levels, per profile: the same in the page and in summary.md. */
export const sweepColumns: readonly Column<SweepLevelRow>[] = [
  { head: 'Profile', numeric: false, cell: (r) => r.profile },
  { head: 'Level', numeric: false, cell: (r) => r.level },
  { head: 'Runs', numeric: true, cell: (r) => String(r.runs) },
  { head: 'Verdict', numeric: false, cell: (r) => (r.knee ? `${r.verdict} (knee)` : r.verdict) },
  { head: 'Why', numeric: false, cell: (r) => r.reasons || '–' },
];

/** What the sweep table's verdicts mean, under it in the page and in summary.md. */
export function sweepNote(s: SweepSection): string {
  const what =
    s.conditions.length === 0
      ? 'a run did not complete'
      : `one of these held or broke (${s.conditions.join(', ')}), or a run did not complete`;
  const repeats =
    s.repeat > 1
      ? ` Each level ran ${s.repeat} times; stop conditions are judged on the median, budgets on every run.`
      : '';
  return `A level is broken when ${what}; the knee is the first broken level of a profile. A stop condition that held, or a run that did not complete, ends the profile's higher levels (not run).${repeats}`;
}
