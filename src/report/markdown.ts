import type { ReportModel } from './model.js';
import { runtime } from './runtime.js';

const { formatCount, formatMs, formatRate } = runtime;
const ICONS = { ok: '✅', warn: '⚠️', bad: '❌' } as const;
/** Markdown table cells cannot hold a bare `|` or a line break. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/**
 * summary.md: the verdicts and one table row per actor group, small enough for
 * `$GITHUB_STEP_SUMMARY` or a pull-request comment. Deterministic (no timestamp).
 */
export function renderMarkdown(model: ReportModel): string {
  const multi = model.runs.length > 1;
  const lines = [`### apfbench: ${cell(model.title)}`, ''];
  for (const r of model.runs) {
    lines.push(
      `${multi ? `**${cell(r.label)}** · ` : ''}${r.status} · Kubernetes ${cell(r.target.serverVersion)} (${r.target.local ? 'local' : 'remote'}) · ${formatMs(r.durationSeconds * 1000)} · ${cell(r.tool)}`,
      '',
    );
  }
  lines.push(...model.verdicts.map((v) => `- ${ICONS[v.level]} ${cell(v.text)}`), '');
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
