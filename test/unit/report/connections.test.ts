import { expect, it } from 'vitest';
import { loadChartJsSource, renderHtml } from '../../../src/report/html.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { buildRunReport } from '../../../src/report/model.js';
import { loadFixture, serverWith } from './fixture.js';

const withConnections = () => {
  const result = loadFixture();
  const server = serverWith([{ t: 0, priorityLevels: {} }]);
  return {
    ...result,
    clientConnections: [
      {
        groups: ['kubelets'],
        protocol: 'h2' as const,
        connection: 'per-actor' as const,
        maxStreamsPerConnection: 100,
        opened: 200,
        peakOpen: 200,
      },
      {
        groups: ['tenants', 'churn'],
        protocol: 'http1' as const,
        connection: 'shared' as const,
        opened: 12,
        peakOpen: 9,
      },
    ],
    server: { ...server, peakOpenWatches: 203 },
  };
};

it('shows a pool per row with its protocol and counts, and the server’s open watches', () => {
  const md = renderMarkdown(buildRunReport(withConnections()));
  expect(md).toContain('| kubelets | h2 | per-actor | 200 | 200 |');
  expect(md).toContain('| tenants, churn | http1 | shared | 12 | 9 |');
  expect(md).toContain('the server had at most 203 watches open at once');
});

it('renders the connections section in the page only when the result counted them', async () => {
  const chartJs = await loadChartJsSource();
  const page = renderHtml(buildRunReport(withConnections()), { generatedAt: new Date(0), chartJs });
  expect(page).toContain('<section id="connections">');
  const old = renderHtml(buildRunReport(loadFixture()), { generatedAt: new Date(0), chartJs });
  expect(old).not.toContain('id="connections"');
});
