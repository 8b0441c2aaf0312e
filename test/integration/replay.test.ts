// A scenario derived from an audit log, replayed on a real API server: the replay sends the
// recorded mix at the recorded rates, as the recorded users in their recorded groups.
import { stringify } from 'yaml';
import { expect, it } from 'vitest';
import { deriveScenario } from '../../src/audit/derive.js';
import { parseAuditLine } from '../../src/audit/event.js';
import { Tally } from '../../src/audit/tally.js';
import { runScenario } from '../../src/engine/coordinator.js';
import { resources } from '../../src/kube/index.js';
import { scrapeMetrics } from '../../src/kube/metrics.js';
import {
  clientCountsAsServer,
  requestCountsByVerbResourceCode,
} from '../../src/metrics/server-metrics.js';
import { auditLine, deriveDefaults, T0, type EventFields } from '../support/audit.js';
import { useLocalTarget } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

const alice = { user: 'alice', groups: ['team-a', 'system:authenticated'] };
const node = { user: 'system:node:replayed-1', groups: ['system:nodes', 'system:authenticated'] };

const env = useLocalTarget({
  extraTenants: [
    { user: alice.user, groups: alice.groups },
    { user: node.user, groups: node.groups },
  ],
});

/** `n` requests, `perSec` a second from the log's start. */
const every = (n: number, perSec: number, e: EventFields): EventFields[] =>
  Array.from({ length: n }, (_, i) => ({ ...e, atMs: T0 + Math.floor((i * 1000) / perSec) }));

/** 20 s of two flows: alice reads and writes ConfigMaps, the node renews a Lease. */
function recordedLog(): string[] {
  const cm = { resource: 'configmaps', namespace: 'prod', apiVersion: 'v1' };
  const events: EventFields[] = [
    ...every(400, 20, {
      ...alice,
      uri: '/api/v1/namespaces/prod/configmaps/a-1',
      objectRef: { ...cm, name: 'a-1' },
    }),
    ...every(100, 5, {
      ...alice,
      verb: 'list',
      uri: '/api/v1/namespaces/prod/configmaps?labelSelector=app%3Dweb&limit=20',
      objectRef: cm,
    }),
    ...every(40, 2, {
      ...alice,
      verb: 'create',
      level: 'Request',
      uri: '/api/v1/namespaces/prod/configmaps',
      objectRef: cm,
      requestObject: { kind: 'ConfigMap', data: { k: 'v'.repeat(300) } },
      code: 201,
    }),
    // The node lists Leases: its writes would be refused by NodeRestriction, which lets a node
    // write only its own Lease in kube-node-lease, and a replay writes in its own namespace.
    ...every(20, 1, {
      ...node,
      verb: 'list',
      uri: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
      objectRef: {
        resource: 'leases',
        apiGroup: 'coordination.k8s.io',
        namespace: 'kube-node-lease',
        apiVersion: 'v1',
      },
    }),
  ];
  return events.map((e, i) => auditLine(e, i));
}

it('replays each flow’s recorded requests, counted by the server, in its recorded FlowSchema', async () => {
  const tally = new Tally(1000);
  for (const line of recordedLog()) {
    const parsed = parseAuditLine(line);
    if (parsed.kind === 'request') tally.add(parsed.request);
  }
  const { scenario: derived } = deriveScenario(tally, {
    ...deriveDefaults,
    name: 'replay-it',
    defaultSize: 256,
  });
  // Cleanup after the second scrape, so that the server's counts between them are the run's.
  const scenario = scenarioFromYaml(
    stringify({ ...derived, spec: { ...derived.spec, cleanup: 'never' } }),
  );
  const admin = env.target.run.admin;
  const before = await scrapeMetrics(admin);
  const result = await runScenario(scenario, env.target.run);
  const after = await scrapeMetrics(admin);
  for (const r of [resources.configmaps, resources.leases]) {
    await admin.deleteCollection(r, {
      namespace: 'apfbench',
      labelSelector: `apfbench.dev/run=${result.runId}`,
    });
  }
  expect(result.status).toBe('completed');

  const aliceGroup = result.actors['flow-alice']!.requests;
  const nodeGroup = result.actors['flow-system-node-replayed-1']!.requests;
  expect(aliceGroup.dropped).toBe(0);
  // Every recorded request once, by verb: 400 GETs, 100 LISTs, 40 CREATEs; the node's 20 LISTs.
  const byVerb = (q: typeof aliceGroup) => {
    const counts: Record<string, number> = {};
    for (const [key, n] of Object.entries(q.byKey)) {
      const [verb = '', resource = '', code = ''] = key.split(' ');
      const k = `${verb} ${resource} ${code}`;
      counts[k] = (counts[k] ?? 0) + n;
    }
    return counts;
  };
  // Timeline mode draws each request's kind from the mix by weight: the totals are the log's,
  // each answered as recorded (200 or 201).
  const total = (counts: Record<string, number>) =>
    Object.values(counts).reduce((x, y) => x + y, 0);
  expect(total(byVerb(aliceGroup))).toBe(540);
  expect(Object.keys(byVerb(aliceGroup)).sort()).toEqual([
    'create configmaps 201',
    'get configmaps 200',
    'list configmaps 200',
  ]);
  expect(byVerb(nodeGroup)).toEqual({ 'list leases 200': 20 });

  // The server counted exactly these ConfigMap requests, and the fixture's create.
  const server = Object.fromEntries(
    Object.entries(
      requestCountsByVerbResourceCode(before, after, { resource: 'configmaps' }),
    ).filter(([, n]) => n > 0),
  );
  const client = clientCountsAsServer(aliceGroup.byKey, 'configmaps');
  expect(server).toEqual({
    ...client,
    'POST configmaps 201': (client['POST configmaps 201'] ?? 0) + 1,
  });

  // Classified as the recorded users in their recorded groups: alice (authenticated, in no group
  // a FlowSchema names) in global-default, the node in a node FlowSchema.
  expect(Object.keys(result.actors['flow-alice']!.requests.byFlowSchema ?? {})).toEqual([
    'global-default',
  ]);
  expect(
    Object.keys(nodeGroup.byFlowSchema ?? {}).every((fs) => fs.startsWith('system-node')),
  ).toBe(true);
});
