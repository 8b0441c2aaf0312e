import { formatDuration } from '../validation/units.js';
import type { DeriveSummary } from './derive.js';

const n = (x: number) => x.toLocaleString('en-US');

/** What a derivation read, made and left out: the summary file written next to the scenario. */
export function summaryMarkdown(s: DeriveSummary, scenarioFile: string): string {
  const out: string[] = [`# Audit log → ${scenarioFile}`, ''];
  out.push('## Input', '');
  out.push('| input | lines | bytes read | ended early |', '| --- | ---: | ---: | --- |');
  for (const i of s.inputs) {
    const broke =
      i.brokeAfterLine === undefined ? '' : `after line ${i.brokeAfterLine}: ${i.brokeBecause}`;
    out.push(`| ${i.name === '-' ? 'stdin' : i.name} | ${n(i.lines)} | ${n(i.bytes)} | ${broke} |`);
  }
  out.push('');
  out.push(`- requests used (ResponseComplete, Panic): ${n(s.requests)}`);
  for (const [stage, count] of Object.entries(s.skippedByStage)) {
    out.push(`- skipped, stage ${stage}: ${n(count)}`);
  }
  if (s.outsideWindow > 0) out.push(`- outside --from/--to: ${n(s.outsideWindow)}`);
  if (s.blankLines > 0) out.push(`- blank lines: ${n(s.blankLines)}`);
  out.push(
    `- window: ${s.window.from} to ${s.window.to} (${formatDuration(s.window.durationMs)}), steps of ${formatDuration(s.resolutionMs)}`,
  );
  out.push(`- peak: ${s.peak.rps} requests/s in the step from ${s.peak.at}`);
  out.push('');
  if (s.problems.length > 0) {
    out.push('## Lines that are not audit events', '');
    for (const p of s.problems) {
      out.push(`- ${p.meaning} (${p.problem}): ${n(p.count)}`);
      for (const line of p.lines) out.push(`  - ${line}`);
      if (p.count > p.lines.length) out.push(`  - … and ${n(p.count - p.lines.length)} more`);
    }
    out.push('');
  }
  out.push(`## Flows: ${n(s.flows)}, in ${s.groups.length} group(s)`, '');
  out.push(
    '| group | user | groups | flows | requests | peak req/s | priority level (estimate) |',
    '| --- | --- | --- | ---: | ---: | ---: | --- |',
  );
  for (const g of s.groups) {
    out.push(
      `| ${g.name} | ${g.user} | ${g.groups.join(', ')} | ${g.flows} | ${n(g.requests)} | ${g.peakRps} | ${g.priorityLevel} |`,
    );
  }
  out.push('', '## Requests by verb and resource', '');
  out.push('| verb | resource | requests |', '| --- | --- | ---: |');
  for (const e of s.byVerbResource) out.push(`| ${e.verb} | ${e.resource} | ${n(e.count)} |`);
  out.push('', '## Not represented in the scenario', '');
  if (s.notRepresented.length === 0) out.push('Every request used is represented.');
  for (const e of s.notRepresented) out.push(`- ${e.what}: ${n(e.count)} requests`);
  return `${out.join('\n')}\n`;
}
