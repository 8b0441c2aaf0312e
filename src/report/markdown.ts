import { formatFigure, formatFlags } from './comparison.js';
import type { ComparisonSection, ReportModel } from './model.js';
import { FAULTS_NOTE, faultColumns } from './faults.js';
import { WEBHOOKS_NOTE, seatColumns, webhookColumns } from './webhooks.js';
import { runtime } from './runtime.js';
import {
  connectionColumns,
  differenceCells,
  serverWatches,
  fairnessColumns,
  groupColumns,
  sweepColumns,
  sweepNote,
  type Column,
} from './tables.js';

const { formatCount, formatMs } = runtime;
const ICONS = { ok: '✅', warn: '⚠️', bad: '❌' } as const;
/** Markdown table cells cannot hold a bare `|` or a line break. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/**
 * summary.md: the verdicts, for a comparison the differences, and one table row per actor group
 * (per run), small enough for `$GITHUB_STEP_SUMMARY` or a pull-request comment. Deterministic
 * (no timestamp).
 */
export function renderMarkdown(model: ReportModel): string {
  const multi = model.runs.length > 1;
  const lines = [`### apfbench: ${cell(model.title)}`, ''];
  const c = model.comparison;
  const first = model.runs[0];
  if (c !== undefined && first !== undefined) {
    lines.push(
      `${c.status} · ${formatCount(model.runs.length)} run(s)${c.repeat > 1 ? `, ${c.repeat} per profile` : ''} · baseline ${cell(c.baseline)} · Kubernetes ${cell(first.target.serverVersion)} (${first.target.local ? 'local' : 'remote'}) · ${cell(first.tool)}`,
      '',
      ...flags(c),
    );
  }
  for (const r of c === undefined ? model.runs : []) {
    lines.push(
      `${multi ? `**${cell(r.label)}** · ` : ''}${r.status} · Kubernetes ${cell(r.target.serverVersion)} (${r.target.local ? 'local' : 'remote'}) · ${formatMs(r.durationSeconds * 1000)} · ${cell(r.tool)}`,
      '',
    );
  }
  lines.push(...model.verdicts.map((v) => `- ${ICONS[v.level]} ${cell(v.text)}`), '');
  if (c !== undefined && c.differences.length > 0) lines.push(...differences(c), '');
  if (model.sweep !== undefined) {
    lines.push(...table(sweepColumns, model.sweep.rows), '', `_${sweepNote(model.sweep)}_`, '');
  }
  lines.push(...table(groupColumns(multi, 'summary'), model.groups));
  if (model.fairness.length > 0) {
    lines.push('', ...table(fairnessColumns(multi, 'summary'), model.fairness));
  }
  if (model.connections.length > 0) {
    lines.push('', ...table(connectionColumns(multi, 'summary'), model.connections));
    lines.push(...serverWatches(model).map((line) => `\n${cell(line)}`));
  }
  if (model.faults !== undefined) {
    lines.push('', ...table(faultColumns(multi), model.faults), '', `_${FAULTS_NOTE}_`);
  }
  if (model.webhooks !== undefined) {
    lines.push('', ...table(webhookColumns(multi), model.webhooks.rows));
    if (model.webhooks.seats.length > 0) {
      lines.push('', ...table(seatColumns(multi), model.webhooks.seats));
    }
    lines.push('', `_${WEBHOOKS_NOTE}_`);
  }
  lines.push('');
  return lines.join('\n');
}

function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string[] {
  return [
    `| ${columns.map((c) => cell(c.head)).join(' | ')} |`,
    `|${columns.map((c) => (c.numeric ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(c.cell(r))).join(' | ')} |`),
  ];
}

/** The API-server flags of each profile's runs, when some profile had any. */
function flags(c: ComparisonSection): string[] {
  if (c.profiles.every((p) => p.apiserverFlags.length === 0)) return [];
  const shown = (f: readonly string[]) =>
    f.length === 0 ? formatFlags(f, c.local) : `\`${formatFlags(f, c.local)}\``;
  return [
    `API-server flags · ${c.profiles.map((p) => `${cell(p.name)}: ${shown(p.apiserverFlags)}`).join(' · ')}`,
    '',
  ];
}

/** Figures that differ: the baseline, then per profile its mean, difference, relative, interval. */
function differences(c: ComparisonSection): string[] {
  const repeats = c.repeat > 1;
  const others = c.differences[0]?.others.map((o) => o.profile) ?? [];
  const head = [
    'figure',
    `${c.baseline} (baseline)`,
    ...others.flatMap((p) => [p, 'Δ', 'Δ%', ...(repeats ? ['95% interval'] : [])]),
  ];
  const mean = (unit: Parameters<typeof formatFigure>[0], s: { mean: number } | undefined) =>
    s === undefined ? '–' : formatFigure(unit, s.mean);
  const rows = c.differences.map((row) => [
    row.figure,
    mean(row.unit, row.baseline),
    ...row.others.flatMap((o) => [
      mean(row.unit, o.sample),
      ...differenceCells(row.unit, o.difference, repeats, ' \\*'),
    ]),
  ]);
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    repeats
      ? `_Means over ${c.repeat} runs per profile; Δ = profile − baseline with its 95% Welch interval; \\* = the interval excludes 0._`
      : '_One run per profile: no interval; use `compare --repeat 3` or more to tell signal from noise._',
  ];
}
