import { describe, expect, it } from 'vitest';
import { GENERATED_LINE_PREFIX, loadChartJsSource, renderHtml } from '../../../src/report/html.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { buildRunReport } from '../../../src/report/model.js';
import { reportRuntime, runtime } from '../../../src/report/runtime.js';
import { loadFixture } from './fixture.js';

const model = buildRunReport(loadFixture());

describe('renderHtml', () => {
  const render = async (generatedAt: Date) =>
    renderHtml(model, { generatedAt, chartJs: await loadChartJsSource() });
  const withoutTimestamp = (html: string) =>
    html
      .split('\n')
      .filter((line) => !line.startsWith(GENERATED_LINE_PREFIX))
      .join('\n');

  it('is deterministic apart from the one generation line', async () => {
    const a = await render(new Date('2026-01-01T00:00:00Z'));
    const b = await render(new Date('2026-06-30T12:34:56Z'));
    expect(a).not.toBe(b);
    expect(a.split('\n').filter((line) => line.startsWith(GENERATED_LINE_PREFIX))).toEqual([
      '<p class="generated">Generated 2026-01-01T00:00:00.000Z by apfbench 0.1.0.</p>',
    ]);
    expect(withoutTimestamp(a)).toBe(withoutTimestamp(b));
  });

  it('is self-contained: Chart.js inlined, no external references, verdicts before charts', async () => {
    const html = await render(new Date(0));
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toContain('sourceMappingURL');
    expect(html.match(/<canvas /g)).toHaveLength(model.charts.length);
    expect(html.indexOf('id="verdicts"')).toBeLessThan(html.indexOf('id="run"'));
    expect(html).toContain('No 429s');
  });

  it('escapes text from the result', () => {
    const evil = { ...model, title: '</script><b>x</b>' };
    const html = renderHtml(evil, { generatedAt: new Date(0), chartJs: '' });
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });
});

describe('renderMarkdown', () => {
  it('is a compact summary: verdicts and one row per group', () => {
    expect(renderMarkdown(model)).toBe(
      [
        '### apfbench: tenant-smoke',
        '',
        'completed · Kubernetes v1.37.2 (local) · 5.71 s · apfbench 0.1.0',
        '',
        '- ✅ No 429s: API Priority and Fairness rejected nothing.',
        '- ✅ No 409 conflicts.',
        '- ✅ The load generator kept up: event-loop delay p99 5.72 ms, utilisation 23.2%, schedule lag p99 9.89 ms.',
        '',
        '| group | requests | rate | p50 | p99 | p99.9 | max | dropped | 429s | 409s | other errors | abandoned |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| tenant | 1,000 | 200/s | 2.48 ms | 45.4 ms | 71 ms | 76.5 ms | 0 | 0 | 0 | 0 | 0 |',
        '',
      ].join('\n'),
    );
  });
});

describe('reportRuntime', () => {
  it('is self-contained, so that the page can run its source text', () => {
    const fromSource = new Function(`return (${reportRuntime.toString()})();`)() as typeof runtime;
    expect(fromSource.formatMs(1234.5)).toBe('1.23 s');
  });

  it.each([
    [0, '0 ms'],
    [0.0456, '45.6 µs'],
    [2.479, '2.48 ms'],
    [71.039, '71 ms'],
    [76543, '76.5 s'],
  ])('formatMs(%s) = %s', (ms, text) => expect(runtime.formatMs(ms)).toBe(text));

  it.each([
    [1, '0%'],
    [10, '90%'],
    [100, '99%'],
    [1000, '99.9%'],
    [10000, '99.99%'],
  ])('formatPercentile(%s) = %s', (x, text) => expect(runtime.formatPercentile(x)).toBe(text));
});
