import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { LiveMetrics } from '../../../src/metrics/live-metrics.js';

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = async () =>
  JSON.parse(
    await readFile(
      new URL('../../../examples/grafana/apfbench-dashboard.json', import.meta.url),
      'utf8',
    ),
  ) as { title: string; panels: Panel[] };

/** Metric names in PromQL, without a histogram's series suffixes. */
const metricNames = (expr: string, prefix: string) =>
  [...expr.matchAll(new RegExp(`\\b${prefix}[a-z0-9_]*`, 'g'))].map((m) =>
    m[0].replace(/_(bucket|sum|count)$/, ''),
  );

it('parses, and every apfbench series it queries is one the live registry exposes', async () => {
  const { panels } = await dashboard();
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => metricNames(e, 'apfbench_')));
  const exposed = new Set(new LiveMetrics().registry.getMetricsAsArray().map((m) => m.name));
  expect(used.size).toBeGreaterThanOrEqual(10);
  expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
});

it("shows the API server's own flow-control and latency series beside them", async () => {
  const { panels } = await dashboard();
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const server = new Set(exprs.flatMap((e) => metricNames(e, 'apiserver_')));
  expect([...server].sort()).toEqual(
    expect.arrayContaining([
      'apiserver_flowcontrol_dispatched_requests_total',
      'apiserver_flowcontrol_rejected_requests_total',
      'apiserver_flowcontrol_current_inqueue_requests',
      'apiserver_request_duration_seconds',
    ]),
  );
  for (const p of panels.filter((p) => p.type !== 'row')) {
    expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
  }
});
