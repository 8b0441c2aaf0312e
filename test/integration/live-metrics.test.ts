import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { serveLiveMetrics } from '../../src/engine/live-metrics.js';
import { LiveMetric } from '../../src/metrics/live-metrics.js';
import { parsePrometheusText, type MetricFamily } from '../../src/metrics/prometheus.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const env = useLocalTarget();

/** Sum of a family's samples whose labels match. */
function total(
  family: MetricFamily | undefined,
  match: (labels: Readonly<Record<string, string>>) => boolean,
  name = family?.name,
): number {
  return (family?.samples ?? [])
    .filter((s) => s.name === name && match(s.labels))
    .reduce((n, s) => n + s.value, 0);
}

it('serves live figures while a run goes, whose measured counts equal the result', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: live-metrics }
spec:
  duration: 12s
  warmup: 2s
  actors:
    - name: tenant
      type: tenant
      identity: tenant-0
      count: 1
      rate: 100/s
      maxInFlight: 32
      mix:
        - { verb: get, resource: configmaps, weight: 50 }
        - { verb: list, resource: configmaps, weight: 10, limit: 50 }
        - { verb: create, resource: configmaps, weight: 40, size: 256 }
    - name: kubelets
      type: kubelet
      count: 20
      leaseDuration: 40s
      renewInterval: 2s
      statusUpdateFrequency: 10s
      statusReportInterval: 5m
`);
  const endpoint = await serveLiveMetrics({ host: '127.0.0.1', port: 0 });
  const scrape = async () => parsePrometheusText(await (await fetch(endpoint.url)).text());
  const twoXX = (families: ReadonlyMap<string, MetricFamily>, group: string) =>
    total(
      families.get(LiveMetric.responses),
      (l) => l.group === group && l.phase === 'measured' && /^2\d\d$/.test(l.code ?? ''),
    );
  const during: number[] = [];
  let scraping = Promise.resolve();
  const timer = setInterval(() => {
    scraping = scraping.then(async () => {
      during.push(twoXX(await scrape(), 'tenant'));
    });
  }, 1000);
  let result;
  try {
    result = await runScenario(scenario, env.target.run, { liveMetrics: endpoint.live });
  } finally {
    clearInterval(timer);
    await scraping;
  }
  // The final scrape, before the endpoint closes: every worker message is in.
  const final = await scrape();
  await endpoint.close();

  expect(result.status).toBe('completed');
  // Scraped while the load ran: the count grew between scrapes, before it reached its end.
  const final2xx = twoXX(final, 'tenant');
  expect(during.some((n) => n > 0 && n < final2xx)).toBe(true);

  for (const [group, g] of Object.entries(result.actors)) {
    const q = g.requests;
    const resultTwoXX = Object.entries(q.byCode)
      .filter(([code]) => /^2\d\d$/.test(code))
      .reduce((n, [, c]) => n + c, 0);
    expect(resultTwoXX, group).toBeGreaterThan(0);
    expect(twoXX(final, group), group).toBe(resultTwoXX);
    const measured = (l: Readonly<Record<string, string>>) =>
      l.group === group && l.phase === 'measured';
    expect(total(final.get(LiveMetric.sent), measured), group).toBe(q.sent);
    expect(total(final.get(LiveMetric.dropped), measured), group).toBe(q.dropped);
    const latency = final.get(LiveMetric.latency);
    expect(latency?.type).toBe('histogram');
    expect(total(latency, measured, `${LiveMetric.latency}_count`), group).toBe(q.latencyMs.count);
  }
  // The warm-up is exposed apart, never in the measured figures.
  expect(
    total(final.get(LiveMetric.sent), (l) => l.group === 'tenant' && l.phase === 'warmup'),
  ).toBeGreaterThan(0);
  // Heartbeat gaps of the kubelets, and each worker's health.
  expect(
    total(final.get(LiveMetric.heartbeatGap), () => true, `${LiveMetric.heartbeatGap}_count`),
  ).toBeGreaterThan(0);
  expect(final.get(LiveMetric.saturated)?.samples.length).toBe(result.workers);
  expect(total(final.get(LiveMetric.runInfo), (l) => l.run === result.runId)).toBe(1);
}, 120_000);
