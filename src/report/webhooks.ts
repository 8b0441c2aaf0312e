// The admission webhooks of a run with spec.webhooks in its report: what each saw next to what
// the API server measured of it, and the seats each priority level held executing requests.
import type { RunResult } from '../result/result.js';
import type { Column } from './tables.js';
import { runtime } from './runtime.js';

const { formatCount, formatMs } = runtime;

export interface WebhookRow {
  readonly run: string;
  readonly name: string;
  readonly kind: string;
  readonly latency: string;
  readonly failurePolicy: string;
  readonly calls: number;
  readonly heldP50Ms: number;
  readonly heldP99Ms: number;
  readonly failuresReturned: number;
  readonly timedOut: number;
  /** The server's admissions through it and their mean time, s; undefined: it reported none. */
  readonly serverAdmissions: number | undefined;
  readonly serverMeanMs: number | undefined;
  readonly serverRejected: number | undefined;
}

/** Seats held executing requests in one priority level, by the server's own histogram. */
export interface SeatRow {
  readonly run: string;
  readonly level: string;
  /** Requests that finished executing in the run. */
  readonly requests: number;
  readonly meanExecutionMs: number;
  /** Seat-seconds held over the run's seconds: how many seats were busy on average. */
  readonly seatsHeld: number;
  readonly nominalSeats: number | undefined;
}

/** One row per webhook of `r`; none for a run without webhooks. */
export function webhookRows(run: string, r: RunResult): WebhookRow[] {
  return (r.webhooks ?? []).map((w) => ({
    run,
    name: w.name,
    kind: w.kind,
    latency: w.latency,
    failurePolicy: w.failurePolicy,
    calls: w.calls,
    heldP50Ms: w.heldMs.p50,
    heldP99Ms: w.heldMs.p99,
    failuresReturned: w.failuresReturned,
    timedOut: w.timedOut,
    serverAdmissions: w.server?.admissions,
    serverMeanMs:
      w.server === undefined || w.server.admissions === 0
        ? undefined
        : (w.server.sumSeconds / w.server.admissions) * 1000,
    serverRejected: w.server?.rejected,
  }));
}

/**
 * The seats each priority level held over the run (between the server measurement's first and
 * last scrape), for a run with webhooks, whose point is the seats they hold; levels that
 * finished no request are left out.
 */
export function seatRows(run: string, r: RunResult): SeatRow[] {
  const server = r.server;
  if ((r.webhooks ?? []).length === 0 || server?.execution === undefined) return [];
  const first = server.series[0]?.t;
  const last = server.series.at(-1)?.t;
  const seconds = first === undefined || last === undefined ? 0 : (last - first) / 1000;
  return Object.entries(server.execution)
    .filter(([, e]) => e.count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([level, e]) => ({
      run,
      level,
      requests: e.count,
      meanExecutionMs: (e.sumSeconds / e.count) * 1000,
      seatsHeld: seconds > 0 ? e.sumSeconds / seconds : 0,
      nominalSeats: server.flowControl[level]?.nominalLimitSeats,
    }));
}

const orDash = (v: number | undefined, f: (n: number) => string) => (v === undefined ? '–' : f(v));

export function webhookColumns(multi: boolean): Column<WebhookRow>[] {
  const columns: Column<WebhookRow>[] = [
    { head: 'Webhook', numeric: false, cell: (w) => `${w.name} (${w.kind})` },
    { head: 'Latency', numeric: false, cell: (w) => `${w.latency}, ${w.failurePolicy}` },
    { head: 'Calls', numeric: true, cell: (w) => formatCount(w.calls) },
    { head: 'Held p50', numeric: true, cell: (w) => formatMs(w.heldP50Ms) },
    { head: 'Held p99', numeric: true, cell: (w) => formatMs(w.heldP99Ms) },
    { head: 'Failures returned', numeric: true, cell: (w) => formatCount(w.failuresReturned) },
    { head: 'Timed out', numeric: true, cell: (w) => formatCount(w.timedOut) },
    {
      head: 'Server: admissions',
      numeric: true,
      cell: (w) => orDash(w.serverAdmissions, formatCount),
    },
    { head: 'Server: mean', numeric: true, cell: (w) => orDash(w.serverMeanMs, formatMs) },
    { head: 'Server: rejected', numeric: true, cell: (w) => orDash(w.serverRejected, formatCount) },
  ];
  return multi ? [{ head: 'Run', numeric: false, cell: (w) => w.run }, ...columns] : columns;
}

export function seatColumns(multi: boolean): Column<SeatRow>[] {
  const columns: Column<SeatRow>[] = [
    { head: 'Priority level', numeric: false, cell: (s) => s.level },
    { head: 'Requests executed', numeric: true, cell: (s) => formatCount(s.requests) },
    { head: 'Mean execution', numeric: true, cell: (s) => formatMs(s.meanExecutionMs) },
    { head: 'Seats held (mean)', numeric: true, cell: (s) => s.seatsHeld.toFixed(2) },
    { head: 'Nominal seats', numeric: true, cell: (s) => orDash(s.nominalSeats, formatCount) },
  ];
  return multi ? [{ head: 'Run', numeric: false, cell: (s) => s.run }, ...columns] : columns;
}

/** What the webhook tables' figures mean, under them in the page and in summary.md. */
export const WEBHOOKS_NOTE =
  "Held: how long apfbench's webhook held each call before answering, the latency it added to the request. " +
  'Failures returned: calls answered with HTTP 500 (failureRatio), which the failure policy decided. ' +
  'Timed out: calls the API server closed before the answer (timeoutSeconds). ' +
  "Server: the API server's apiserver_admission_webhook_admission_duration_seconds for the webhook. " +
  'Seats held: apiserver_flowcontrol_request_execution_seconds summed over the run, divided by its length: ' +
  'the seats a priority level kept busy on average (a request holds its seat while the webhook holds it).';
