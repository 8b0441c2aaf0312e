import { describe, expect, it } from 'vitest';
import {
  budgetsSchema,
  evaluateBudgets,
  renderCheckMarkdown,
  renderJUnit,
} from '../../../src/check/index.js';
import { xmlEscape } from '../../../src/check/junit.js';
import { result, run } from './support.js';

const report = evaluateBudgets(
  budgetsSchema.parse([
    { name: 'p99 < 10 & "fast"', expr: 'tenant.latencyMs.p99 < 10' },
    'tenant.errors == 0',
    { metric: 'tenant.latencyMs.p50', maxIncrease: '10%' },
  ]),
  [run(result(), 'out/result.json')],
);

describe('JUnit XML', () => {
  const xml = renderJUnit(report);

  it('has one testcase per budget, failures with observed vs limit, skips', () => {
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="apfbench check" tests="4" failures="1" errors="0" skipped="1"/,
    );
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain(
      '<testcase classname="apfbench.tenant-smoke.budgets" name="p99 &lt; 10 &amp; &quot;fast&quot;" time="0">\n      <failure type="budget" message="observed 45.38 ms, limit &lt; 10 ms">',
    );
    expect(xml).toContain('<skipped message="skipped: no baseline given (--baseline)"/>');
    expect(xml).toContain('<property name="candidate" value="out/result.json"/>');
    expect(xml).toContain(`timestamp="${result().endedAt}"`);
  });

  it('is well-formed enough for a YAML-free sanity check: tags balance', () => {
    const opens = (xml.match(/<(testsuites|testsuite|testcase|properties)[ >]/g) ?? []).length;
    const closes = (xml.match(/<\/(testsuites|testsuite|testcase|properties)>/g) ?? []).length;
    expect(opens).toBe(closes);
  });

  it('escapes and drops what XML cannot hold', () => {
    expect(xmlEscape('a<b>&"\'\u0001c')).toBe('a&lt;b&gt;&amp;&quot;&apos;c');
  });
});

describe('Markdown summary', () => {
  const md = renderCheckMarkdown(report);

  it('leads with the verdict and lists broken budgets first', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('### apfbench check: tenant-smoke');
    expect(lines[2]).toBe('**❌ failed: 1 of 4 budgets broken** (1 skipped)');
    const rows = lines.filter((l) => /^\| (✅|❌|⏭️) /.test(l));
    expect(rows[0]).toBe(
      '| ❌ | p99 < 10 & "fast" (`tenant.latencyMs.p99 < 10`) | observed 45.38 ms, limit < 10 ms |',
    );
    expect(rows[1]).toMatch(
      /^\| ⏭️ \| `tenant.latencyMs.p50 may not grow by more than 10% over the baseline`/,
    );
    expect(rows).toHaveLength(4);
  });

  it('is a table GitHub renders: same number of cells in every row', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(5);
  });
});
