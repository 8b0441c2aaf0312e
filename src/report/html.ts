/**
 * report.html: one self-contained file (Chart.js, data, styles and scripts inlined; a Content
 * Security Policy forbids every fetch), readable by someone who did not run the benchmark.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ABANDONED_CODES } from '../metrics/timeline-snapshot.js';
import { chartConfig } from './charts.js';
import { FAULTS_NOTE, faultColumns, faultMarksPlugin, type FaultRow } from './faults.js';
import { WEBHOOKS_NOTE, seatColumns, webhookColumns } from './webhooks.js';
import { formatFigure, formatFlags, serverFlagsNote } from './comparison.js';
import type { ChartModel, ComparisonSection, ReportModel, RunOverview } from './model.js';
import { reportRuntime, runtime } from './runtime.js';
import {
  connectionColumns,
  crossCheckColumns,
  differenceCells,
  serverWatches,
  fairnessColumns,
  groupColumns,
  sweepColumns,
  sweepNote,
  type Column,
} from './tables.js';
import { CROSS_CHECK_TITLE } from './verdicts/cross-check.js';

/** Prefix of the one line that differs between two renderings of the same model. */
export const GENERATED_LINE_PREFIX = '<p class="generated">';

/** Chart.js's UMD build, read from the installed package, without its source-map comment. */
export async function loadChartJsSource(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  const source = await readFile(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  return source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export interface HtmlOptions {
  /** Shown in the one generation line; everything else depends on the model only. */
  readonly generatedAt: Date;
  /** `loadChartJsSource()` */
  readonly chartJs: string;
}

const { formatCount, formatMs } = runtime;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
/** Text safe inside an inline <script>: no `</script` and no `<!--` can end or confuse it. */
const scriptSafe = (s: string) => s.replace(/<(\/script|!--)/gi, '<\\$1');
const jsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const BADGES = { ok: 'OK', warn: 'WARN', bad: 'FAIL' } as const;

export function renderHtml(model: ReportModel, opts: HtmlOptions): string {
  const configs = model.charts.map(chartConfig);
  const multi = model.runs.length > 1;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>apfbench report: ${escapeHtml(model.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<header><p class="kicker">apfbench ${model.sweep !== undefined ? 'sweep' : model.comparison === undefined ? 'report' : 'comparison'}</p><h1>${escapeHtml(model.title)}</h1>${[
      ...new Set(model.runs.flatMap((r) => r.scenario.description ?? [])),
    ]
      .map((d) => `<p class="description">${escapeHtml(d)}</p>`)
      .join('')}</header>`,
    '<section id="verdicts"><h2>Verdict</h2><ul class="verdicts">',
    ...model.verdicts.map(
      (v) =>
        `<li class="${v.level}"><span class="badge">${BADGES[v.level]}</span> ${escapeHtml(v.text)}</li>`,
    ),
    '</ul></section>',
    ...(model.comparison === undefined ? [] : [differencesSection(model.comparison)]),
    ...(model.sweep === undefined
      ? []
      : [
          '<section id="sweep"><h2>Load levels</h2>',
          columnTable(sweepColumns, model.sweep.rows),
          `<p class="note">${escapeHtml(sweepNote(model.sweep))}</p>`,
          '</section>',
        ]),
    '<section id="run"><h2>What was run</h2>',
    ...(multi ? [runsTable(model.runs)] : model.runs.map(runSection)),
    '</section>',
    '<section id="groups"><h2>Actor groups</h2>',
    columnTable(groupColumns(multi, 'page'), model.groups),
    `<p class="note">Latency is measured from the <em>intended</em> send time of the first attempt to the end of the response, retries included, so it is free of coordinated omission. Dropped: sends due while the group was at its in-flight cap (not sent). Abandoned: requests still in flight when the drain after the deadline ended (in the response codes as ${escapeHtml(ABANDONED_CODES.join(' or '))}), not counted as errors.</p>`,
    '</section>',
    ...(model.fairness.length === 0 ? [] : [fairnessTable(model)]),
    ...(model.connections.length === 0 ? [] : [connectionsTable(model)]),
    ...(model.crossChecks.length === 0 ? [] : [crossCheckTable(model)]),
    ...(model.faults === undefined ? [] : [faultsTable(model.faults, multi)]),
    ...(model.webhooks === undefined ? [] : [webhooksTable(model.webhooks, multi)]),
    '<section id="charts"><h2>Charts</h2>',
    ...chartFigures(model.charts),
    '</section>',
    '<footer>',
    `${GENERATED_LINE_PREFIX}Generated ${escapeHtml(opts.generatedAt.toISOString())} by ${escapeHtml(model.runs[0]?.tool ?? 'apfbench')}.</p>`,
    '</footer>',
    '</main>',
    `<script type="application/json" id="apfbench-charts">${jsonForScript(configs)}</script>`,
    `<script>${scriptSafe(opts.chartJs)}</script>`,
    `<script>${scriptSafe(bootstrap(model.charts.some((c) => c.marks !== undefined)))}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Creates every chart from the embedded configurations with the shared runtime, and with the
 * plugin that draws faults when some chart has them (only then, so that a report without faults
 * keeps its bytes).
 */
function bootstrap(withMarks: boolean): string {
  const create = withMarks
    ? `const marks = (${faultMarksPlugin.toString()})();
  configs.forEach((config, i) => new Chart(document.getElementById('chart-' + i), { ...rt.hydrate(config), plugins: [marks] }));`
    : `configs.forEach((config, i) => new Chart(document.getElementById('chart-' + i), rt.hydrate(config)));`;
  return `'use strict';
(() => {
  const rt = (${reportRuntime.toString()})();
  const configs = JSON.parse(document.getElementById('apfbench-charts').textContent);
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
  ${create}
})();`;
}

const canvas = (c: ChartModel, i: number) =>
  `<div class="chart"><canvas id="chart-${i}" data-chart-id="${escapeHtml(c.id)}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`;

/**
 * One figure per chart; the consecutive charts of a panel (a comparison's per-run charts of one
 * kind, on shared axes) in one figure side by side, with their caption once.
 */
function chartFigures(charts: readonly ChartModel[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < charts.length;) {
    const first = charts[i]!;
    let end = i + 1;
    while (first.panel !== undefined && charts[end]?.panel === first.panel) end++;
    const members = charts.slice(i, end);
    out.push(
      members.length === 1
        ? `<figure>${canvas(first, i)}<figcaption>${escapeHtml(first.description)}</figcaption></figure>`
        : `<figure class="panel"><div class="grid">${members.map((c, k) => canvas(c, i + k)).join('')}</div><figcaption>${escapeHtml(first.description)} One chart per run, on the same axes.</figcaption></figure>`,
    );
    i = end;
  }
  return out;
}

/** The comparison's profiles, then each figure that differs: baseline, profile, difference. */
function differencesSection(c: ComparisonSection): string {
  const profiles = table(
    ['Profile', 'File', 'API-server flags', 'Role'],
    c.profiles.map((p) => [
      p.name,
      p.file,
      formatFlags(p.apiserverFlags, c.local),
      p.name === c.baseline ? 'baseline' : 'compared with the baseline',
    ]),
    () => false,
  );
  const repeats = c.repeat > 1;
  const head = [
    'Figure',
    `${c.baseline} (baseline)`,
    ...c.differences[0]!.others.flatMap((o) => [
      o.profile,
      'Difference',
      'Relative',
      ...(repeats ? ['95% interval'] : []),
    ]),
  ];
  const value = (
    unit: Parameters<typeof formatFigure>[0],
    s: { mean: number; sd: number; n: number } | undefined,
  ) =>
    s === undefined
      ? '–'
      : `${formatFigure(unit, s.mean)}${s.n > 1 ? ` ± ${formatFigure(unit, s.sd)}` : ''}`;
  const rows = c.differences.map((row) => [
    row.figure,
    value(row.unit, row.baseline),
    ...row.others.flatMap((o) => [
      value(row.unit, o.sample),
      ...differenceCells(row.unit, o.difference, repeats, ' *'),
    ]),
  ]);
  const note = repeats
    ? `Mean ± standard deviation over ${c.repeat} runs per profile. Difference = profile − baseline; the 95% interval is Welch's (unequal variances); * marks an interval that excludes 0, a difference unlikely to be noise.`
    : 'One run per profile: the differences have no interval, so they cannot be told from run-to-run noise; use compare --repeat 3 or more.';
  return [
    '<section id="differences"><h2>Profiles and differences</h2>',
    profiles,
    ...(c.serverFlags.length === 0
      ? []
      : [`<p class="note">${escapeHtml(serverFlagsNote(c))}</p>`]),
    c.differences.length === 0
      ? '<p class="note">Every compared figure was equal in every run.</p>'
      : table(head, rows, (i) => i >= 1),
    `<p class="note">${escapeHtml(note)} Figures equal in every run are left out.</p>`,
    '</section>',
  ].join('\n');
}

/** A comparison's runs, one row each; the scenario, the same for all, once. */
function runsTable(runs: readonly RunOverview[]): string {
  const first = runs[0];
  const rows = runs.map((r) => [
    r.label,
    r.profile === undefined
      ? 'none'
      : `${r.profile.name}: ${r.profile.changes.length === 0 ? 'no change' : r.profile.changes.map((c) => c.replace(/\s+/g, ' ')).join(', ')}`,
    r.reason === undefined ? r.status : `${r.status}: ${r.reason}`,
    `Kubernetes ${r.target.serverVersion}, ${r.target.local ? 'local' : 'remote'}`,
    formatMs(r.durationSeconds * 1000),
    r.startedAt,
    r.runId,
  ]);
  return [
    table(
      ['Run', 'Profile (changes)', 'Status', 'Target', 'Duration', 'Started', 'Run id'],
      rows,
      () => false,
    ),
    first === undefined
      ? ''
      : `<p class="note">Scenario ${escapeHtml(first.scenario.name)}, load from ${escapeHtml(first.tool)} with ${formatCount(first.workers)} worker thread(s).</p><details><summary>Resolved scenario</summary><pre>${escapeHtml(first.scenarioJson)}</pre></details>`,
  ].join('\n');
}

function runSection(r: RunOverview): string {
  const rows: [string, string][] = [
    ['Scenario', r.scenario.name],
    ...(r.profile === undefined
      ? []
      : [
          [
            'Profile',
            `${r.profile.name}${r.profile.file === undefined ? '' : ` (${r.profile.file})`}: ${r.profile.changes.length === 0 ? 'changed nothing' : r.profile.changes.map((c) => c.replace(/\s+/g, ' ')).join(', ')}`,
          ] as [string, string],
        ]),
    ['Status', r.reason === undefined ? r.status : `${r.status}: ${r.reason}`],
    [
      'Target',
      `Kubernetes ${r.target.serverVersion}, ${r.target.local ? 'local control plane started by apfbench' : 'remote cluster'} (${r.target.server})`,
    ],
    ['Duration', `${formatMs(r.durationSeconds * 1000)} (${r.startedAt} → ${r.endedAt})`],
    ['Load generator', `${r.tool}, ${formatCount(r.workers)} worker thread(s)`],
    ['Run id', r.runId],
  ];
  return [
    `<dl class="run">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`,
    `<details><summary>Resolved scenario</summary><pre>${escapeHtml(r.scenarioJson)}</pre></details>`,
  ].join('\n');
}

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: (column: number) => boolean,
): string {
  const cell = (tag: string, v: string, i: number) =>
    `<${tag}${numeric(i) ? ' class="num"' : ''}>${escapeHtml(v)}</${tag}>`;
  return [
    '<div class="table"><table>',
    `<thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`),
    '</tbody></table></div>',
  ].join('\n');
}

function columnTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  return table(
    columns.map((c) => c.head),
    rows.map((r) => columns.map((c) => c.cell(r))),
    (i) => columns[i]!.numeric,
  );
}

function connectionsTable(model: ReportModel): string {
  return [
    '<section id="connections"><h2>Connections</h2>',
    columnTable(connectionColumns(model.runs.length > 1, 'page'), model.connections),
    ...serverWatches(model).map((line) => `<p>${escapeHtml(line)}</p>`),
    "<p class=\"note\">The client's connections to the API server, per pool: per-actor pools are each instance's own (h2: its requests and watches are streams of one connection, as client-go's); a shared pool serves every shared instance of a worker thread. Opened counts reconnects; peak open adds up each worker's peak. kube-apiserver has no metric of its connections or HTTP/2 streams; the nearest is its count of open watches.</p>",
    '</section>',
  ].join('\n');
}

function webhooksTable(webhooks: NonNullable<ReportModel['webhooks']>, multi: boolean): string {
  return [
    '<section id="webhooks"><h2>Webhooks</h2>',
    columnTable(webhookColumns(multi), webhooks.rows),
    ...(webhooks.seats.length === 0 ? [] : [columnTable(seatColumns(multi), webhooks.seats)]),
    `<p class="note">${escapeHtml(WEBHOOKS_NOTE)}</p>`,
    '</section>',
  ].join('\n');
}

function faultsTable(faults: readonly FaultRow[], multi: boolean): string {
  return [
    '<section id="faults"><h2>Faults</h2>',
    columnTable(faultColumns(multi), faults),
    `<p class="note">${escapeHtml(FAULTS_NOTE)} The charts shade each fault from its start to its end.</p>`,
    '</section>',
  ].join('\n');
}

function fairnessTable(model: ReportModel): string {
  return [
    '<section id="fairness"><h2>Fairness</h2>',
    columnTable(fairnessColumns(model.runs.length > 1, 'page'), model.fairness),
    '<p class="note">Jain\'s index J = (Σx)² / (n·Σx²) over each flow\'s achieved ÷ demanded throughput within a priority level: 1 is perfectly fair, 1/n is one flow taking everything.</p>',
    '</section>',
  ].join('\n');
}

function crossCheckTable(model: ReportModel): string {
  return [
    `<section id="cross-check"><h2>${CROSS_CHECK_TITLE}</h2>`,
    columnTable(crossCheckColumns(model.runs.length > 1), model.crossChecks),
    '<p class="note">apfbench\'s 429s (whole run) against <code>apiserver_flowcontrol_rejected_requests_total</code> for the flow schemas its requests were classified into, where the two differ. Abandoned before the 429: requests still queued when apfbench stopped waiting for them (the drain ran out, or the client timed out), which the server rejected later when their queue wait timed out; at most the unanswered requests. In flight at the end: counted on one side only, up to 2 or 1 %. Only an unexplained remainder fails the verdict.</p>',
    '</section>',
  ].join('\n');
}

const STYLE = `
:root { color-scheme: light; --text: #1f2328; --muted: #59636e; --line: #d8dee4; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--text); background: #fff; }
main { max-width: 1400px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 28px; } h2 { margin: 32px 0 12px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; font-size: 12px; }
.description { margin: 4px 0 0; color: var(--muted); }
.verdicts { list-style: none; padding: 0; margin: 0; }
.verdicts li { padding: 8px 12px; margin: 6px 0; border-left: 4px solid; background: #f6f8fa; }
.verdicts li.ok { border-color: var(--ok); } .verdicts li.warn { border-color: var(--warn); } .verdicts li.bad { border-color: var(--bad); }
.badge { display: inline-block; min-width: 48px; text-align: center; font-weight: 700; font-size: 12px; color: #fff; border-radius: 4px; padding: 1px 6px; margin-right: 6px; }
.ok .badge { background: var(--ok); } .warn .badge { background: var(--warn); } .bad .badge { background: var(--bad); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; }
details { margin-top: 12px; } pre { background: #f6f8fa; padding: 12px; overflow: auto; font-size: 12px; }
.table { overflow-x: auto; max-width: 100%; } table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f6f8fa; } .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note, figcaption { color: var(--muted); font-size: 13px; max-width: 80em; }
figure { margin: 0 0 28px; } figure:not(.panel) { max-width: 1100px; } .chart { position: relative; width: 100%; min-width: 0; }
.panel .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;
