import type { CheckReport } from './evaluate.js';

/** Markdown table cells cannot hold a bare `|` or a line break. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

const ICON = { pass: '✅', fail: '❌', skipped: '⏭️' } as const;

/**
 * The check's Markdown summary, for `$GITHUB_STEP_SUMMARY` or a pull-request comment: the
 * verdict, then one row per budget, broken ones first. Deterministic (no timestamp).
 */
export function renderCheckMarkdown(report: CheckReport): string {
  const broken = report.results.filter((r) => r.outcome === 'fail');
  const skipped = report.results.filter((r) => r.outcome === 'skipped');
  const verdict = report.passed
    ? `✅ passed: all ${report.results.length - skipped.length} budgets hold`
    : `❌ failed: ${broken.length} of ${report.results.length} budgets broken`;
  const lines = [
    `### apfbench check: ${cell(report.scenario)}`,
    '',
    `**${verdict}**${skipped.length > 0 ? ` (${skipped.length} skipped)` : ''}`,
    '',
  ];
  const runs = (xs: readonly string[]) => xs.map((x) => `\`${cell(x)}\``).join(', ');
  lines.push(`- candidate: ${runs(report.candidates)}`);
  lines.push(`- baseline: ${report.baselines.length > 0 ? runs(report.baselines) : 'none'}`);
  for (const w of report.warnings) lines.push(`- ⚠️ ${cell(w)}`);
  lines.push('', '| | budget | result |', '| --- | --- | --- |');
  const order = { fail: 0, skipped: 1, pass: 2 } as const;
  for (const r of report.results.toSorted((a, b) => order[a.outcome] - order[b.outcome])) {
    const name =
      r.name === r.description
        ? `\`${cell(r.name)}\``
        : `${cell(r.name)} (\`${cell(r.description)}\`)`;
    lines.push(`| ${ICON[r.outcome]} | ${name} | ${cell(r.message)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
