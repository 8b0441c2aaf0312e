// JUnit XML, as CI systems read it (GitHub test reporters, GitLab, Jenkins): one <testcase>
// per budget, a <failure> with what was observed against the limit when it is broken, and
// <skipped> when it could not be evaluated (a relative budget without a baseline).
import type { CheckReport } from './evaluate.js';

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an attribute or element; drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

export function renderJUnit(report: CheckReport): string {
  const tests = report.results.length;
  const failures = report.results.filter((r) => r.outcome === 'fail').length;
  const skipped = report.results.filter((r) => r.outcome === 'skipped').length;
  const suite = `apfbench check: ${report.scenario}`;
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="apfbench check" ${counts} time="0">`,
    `  <testsuite name="${xmlEscape(suite)}" ${counts} time="0" timestamp="${xmlEscape(report.timestamp)}">`,
    '    <properties>',
    ...report.candidates.map((c) => `      <property name="candidate" value="${xmlEscape(c)}"/>`),
    ...report.baselines.map((b) => `      <property name="baseline" value="${xmlEscape(b)}"/>`),
    ...report.warnings.map((w) => `      <property name="warning" value="${xmlEscape(w)}"/>`),
    '    </properties>',
  ];
  const classname = xmlEscape(`apfbench.${report.scenario}.${'budgets'}`);
  for (const r of report.results) {
    const open = `    <testcase classname="${classname}" name="${xmlEscape(r.name)}" time="0"`;
    const body = [
      r.description === r.name ? '' : `${r.description}\n`,
      ...r.details.map((d) => `${d}\n`),
    ].join('');
    if (r.outcome === 'pass') {
      lines.push(
        `${open}>`,
        `      <system-out>${xmlEscape(`${r.message}\n${body}`)}</system-out>`,
        '    </testcase>',
      );
    } else if (r.outcome === 'skipped') {
      lines.push(
        `${open}>`,
        `      <skipped message="${xmlEscape(r.message)}"/>`,
        '    </testcase>',
      );
    } else {
      lines.push(
        `${open}>`,
        `      <failure type="${r.kind === 'relative' ? 'regression' : 'budget'}" message="${xmlEscape(r.message)}">${xmlEscape(body)}</failure>`,
        '    </testcase>',
      );
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
