import { expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { requestCountsByVerbResourceCode } from '../../src/metrics/server-metrics.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import { useLocalTarget } from '../support/cluster.js';
import { groupOf } from '../support/result.js';
import { scenarioFromYaml } from '../support/scenario.js';

const serviceAccounts = Array.from(
  { length: 6 },
  (_, i) => `system:serviceaccount:apfbench:ctrl-${i}`,
);
// Tokens for the controllers' service accounts, so that they authenticate as themselves
// (groups system:serviceaccounts and system:serviceaccounts:apfbench), not by impersonation.
const env = useLocalTarget({ extraTenants: serviceAccounts });

it('conflict-storm: writers on the same objects get 409s, and the server counted exactly as many', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: storm }
spec:
  duration: 10s
  workers: 2
  cleanup: never
  actors:
    - name: ctrl
      type: controller
      identity: system:serviceaccount:apfbench:ctrl-{i}
      count: 6
      rate: 20/s
      objects: 1
      objectSize: 1Ki
`);
  const before = await scrapeMetrics(env.target.run.admin);
  const result = await runScenario(scenario, env.target.run);
  const after = await scrapeMetrics(env.target.run.admin);

  expect(result.reason).toBeUndefined();
  const group = groupOf(result, 'ctrl', 'controller');
  const { conflicts, watch } = group;
  const server = requestCountsByVerbResourceCode(before, after, { resource: 'configmaps' });
  console.log(
    `conflict-storm: ${conflicts.attempts} PUTs, ${conflicts.count409} 409s (rate ${conflicts.rate}),` +
      ` ${conflicts.writes} writes, ${conflicts.abandoned} abandoned, retries/write p50 ${conflicts.retriesPerWrite.p50}` +
      ` p99 ${conflicts.retriesPerWrite.p99} max ${conflicts.retriesPerWrite.max}; server PUT 409 ${server['PUT configmaps 409']}` +
      `; watch p50 ${watch.latencyMs.p50} ms p99 ${watch.latencyMs.p99} ms, lost ${watch.lost}`,
  );
  // Six writers on one object: how many collide depends on timing, that some do does not.
  expect(conflicts.count409).toBeGreaterThan(0);
  expect(group.requests.byKey['update configmaps 409']).toBe(conflicts.count409);
  expect(server['PUT configmaps 409']).toBe(conflicts.count409);
  expect(server['PUT configmaps 200']).toBe(conflicts.writes);
  expect(conflicts.attempts).toBe(conflicts.count409 + conflicts.writes);
  expect(conflicts.rate).toBeCloseTo(conflicts.count409 / conflicts.attempts, 3);
  // A reconcile is one send of the schedule (one schedule-lag value) and several requests (its
  // GETs and PUTs); `sent` counts every request, the informers' LISTs and the creates too, so
  // that the group never completes more requests than it sent: exactly the server's count.
  expect(conflicts.writes + conflicts.abandoned + conflicts.failed).toBe(
    group.requests.scheduleLagMs.count,
  );
  expect(group.requests.total).toBe(group.requests.sent);
  const serverRequests = Object.entries(server)
    .filter(([key]) => !key.startsWith('WATCH '))
    .reduce((n, [, count]) => n + count, 0);
  expect(serverRequests).toBe(group.requests.sent);
  expect(conflicts.retriesPerWrite.count).toBe(conflicts.writes);
  expect(conflicts.bySet['0']?.count409).toBe(conflicts.count409);
  // Service accounts: flow schema service-accounts, priority level workload-low.
  expect(Object.keys(group.requests.byFlowSchema)).toEqual(['service-accounts']);
  expect(Object.keys(group.requests.byPriorityLevel)).toEqual(['workload-low']);
});

it('watch latency on an idle server: p50 and p99 reported, every acknowledged write seen by every watcher', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: fanout }
spec:
  duration: 10s
  workers: 2
  actors:
    - name: ctrl
      type: controller
      identity: system:serviceaccount:apfbench:ctrl-{i}
      count: 5
      rate: 20/s
      objects: 50
      writersPerObject: 1
      pageSize: 20
`);
  const result = await runScenario(scenario, env.target.run);
  expect(result.reason).toBeUndefined();
  const group = groupOf(result, 'ctrl', 'controller');
  const { watch, conflicts } = group;
  console.log(
    `watch: ${watch.acknowledgedWrites} writes x 5 watchers, ${watch.events} events, lost ${watch.lost},` +
      ` unmatched ${watch.unmatched}, before-ack ${watch.beforeAck}; latency p50 ${watch.latencyMs.p50} ms` +
      ` p99 ${watch.latencyMs.p99} ms max ${watch.latencyMs.max} ms; from intent p50 ${watch.latencyFromIntentMs.p50}` +
      ` ms p99 ${watch.latencyFromIntentMs.p99} ms; bookmarks ${watch.bookmarks}, restarts ${watch.restarts}`,
  );
  // One writer at 20/s for 10 s; a few of its writes may conflict with its own lagging cache.
  expect(watch.acknowledgedWrites).toBe(conflicts.writes);
  expect(watch.acknowledgedWrites).toBeGreaterThanOrEqual(180);
  expect(watch.expectedDeliveries).toBe(5 * watch.acknowledgedWrites);
  expect(watch.lost).toBe(0);
  expect(watch.unmatched).toBe(0);
  expect(watch.relists).toBe(0);
  // Every delivery has a latency from its write's intended time. Over h2 a controller's watch
  // shares its connection with its writes, and the server may send the event before the write's
  // response: such an event is counted in beforeAck, and only the others have a latency from the
  // acknowledgement, which is never more than the same event's from the intended time.
  expect(watch.latencyFromIntentMs.count).toBe(watch.expectedDeliveries);
  expect(watch.latencyFromIntentMs.p50).toBeGreaterThan(0);
  expect(watch.latencyFromIntentMs.p99).toBeGreaterThanOrEqual(watch.latencyFromIntentMs.p50);
  expect(watch.latencyMs.count + watch.beforeAck).toBe(watch.expectedDeliveries);
  expect(watch.latencyFromIntentMs.max).toBeGreaterThanOrEqual(watch.latencyMs.max);
  // The paginated LIST: 50 objects in pages of 20, once per instance.
  expect(group.requests.byKey['list configmaps 200']).toBe(5 * 3);
});

it('pod churn: the scheduler binds every pod it sees to the simulated nodes', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: churn }
spec:
  duration: 8s
  workers: 1
  actors:
    - { name: scheduler, type: scheduler, count: 1, nodes: 3 }
    - { name: churn, type: pod-churn, identity: 'tenant-{i}', count: 1, rate: 10/s, lifetime: 3s }
`);
  const before = await scrapeMetrics(env.target.run.admin);
  const result = await runScenario(scenario, env.target.run);
  const after = await scrapeMetrics(env.target.run.admin);
  expect(result.reason).toBeUndefined();
  const churn = result.actors.churn!.requests;
  const { scheduling } = groupOf(result, 'scheduler', 'scheduler');
  const server = requestCountsByVerbResourceCode(before, after, { resource: 'pods' });
  console.log(
    `pod churn: ${churn.byKey['create pods 201']} created, ${churn.byKey['delete pods 200']} deleted;` +
      ` ${scheduling.bound} bound (server ${server['POST pods/binding 201']}), bind latency from intended create` +
      ` p50 ${scheduling.latencyMs.p50} ms p99 ${scheduling.latencyMs.p99} ms`,
  );
  expect(churn.byKey['create pods 201']).toBe(80);
  expect(churn.byKey['delete pods 200']).toBeGreaterThanOrEqual(40);
  // Pods created in the last moments may still be waiting when the scheduler stops.
  expect(scheduling.bound).toBeGreaterThanOrEqual(75);
  expect(scheduling.bindErrors).toBe(0);
  expect(server['POST pods/binding 201']).toBe(scheduling.bound);
  expect(scheduling.latencyMs.count).toBe(scheduling.bound);
  const sched = result.actors.scheduler!.requests;
  expect(Object.keys(sched.byFlowSchema)).toEqual(['kube-scheduler']);
  expect(Object.keys(sched.byPriorityLevel)).toEqual(['workload-high']);
});
