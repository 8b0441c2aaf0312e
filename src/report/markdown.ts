import { formatFigure, formatInterval, formatRelative, formatSigned } from './comparison.js';
import type { ComparisonSection, ReportModel } from './model.js';
import { runtime } from './runtime.js';

const { formatCount, formatMs, formatRate } = runtime;
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
  const head = [
    ...(multi ? ['run'] : []),
    'group',
    'requests',
    'rate',
    'p50',
    'p99',
    'p99.9',
    'max',
    'dropped',
    '429s',
    '409s',
    'errors',
  ];
  lines.push(
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < (multi ? 2 : 1) ? ' --- ' : ' ---: ')).join('|')}|`,
  );
  for (const g of model.groups) {
    const row = [
      ...(multi ? [g.run] : []),
      g.group,
      formatCount(g.requests),
      formatRate(g.ratePerSecond),
      formatMs(g.latencyMs.p50),
      formatMs(g.latencyMs.p99),
      formatMs(g.latencyMs.p999),
      formatMs(g.latencyMs.max),
      formatCount(g.dropped),
      formatCount(g.throttled),
      formatCount(g.conflicts),
      formatCount(g.errors),
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  if (model.fairness.length > 0) {
    lines.push(
      '',
      `| ${multi ? 'run | ' : ''}priority level | flows | Jain's index |`,
      `|${multi ? ' --- |' : ''} --- | ---: | ---: |`,
    );
    for (const f of model.fairness) {
      lines.push(
        `| ${multi ? `${cell(f.run)} | ` : ''}${cell(f.priorityLevel)} | ${formatCount(f.flows)} | ${f.jainIndex.toFixed(3)} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
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
    ...row.others.flatMap(({ sample, difference: d }) => [
      mean(row.unit, sample),
      d === undefined ? '–' : formatSigned(row.unit, d.diff),
      d === undefined ? '–' : formatRelative(d),
      ...(repeats
        ? [
            d === undefined
              ? '–'
              : `${formatInterval(row.unit, d) ?? '–'}${d.significant === true ? ' \\*' : ''}`,
          ]
        : []),
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
