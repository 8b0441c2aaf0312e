import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runScenario } from '../../src/engine/coordinator.js';
import { openTarget } from '../../src/engine/target.js';
import { scenarioFromYaml } from '../support/scenario.js';

const out = await mkdtemp(join(tmpdir(), 'apfbench-audit-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** The fields of an audit.k8s.io/v1 Event this test reads. */
interface AuditEvent {
  apiVersion: string;
  kind: string;
  level: string;
  stage: string;
  verb: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string };
  responseStatus?: { code?: number };
  requestObject?: unknown;
  responseObject?: unknown;
}

it('a run audited at Metadata logs one event per request, by user and verb, as the load sent', async () => {
  const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: audited }
spec:
  duration: 6s
  actors:
    - name: reader
      type: tenant
      identity: audit-reader
      count: 1
      rate: 20/s
      mix:
        - { verb: get, resource: configmaps, weight: 3 }
        - { verb: list, resource: configmaps, weight: 1, limit: 10 }
    - name: writer
      type: tenant
      identity: audit-writer
      count: 1
      rate: 10/s
      mix:
        - { verb: create, resource: configmaps, weight: 1, size: 128 }
`);
  const log = join(out, 'audit', 'audit.log');
  // As `run --audit-policy Metadata` opens it: an ephemeral control plane, the log beside the result.
  const target = await openTarget(scenario, { auditPolicy: 'Metadata', auditLogPath: log });
  let result;
  try {
    result = await runScenario(scenario, target.run);
  } finally {
    await target.close();
  }
  expect(result.status).toBe('completed');
  expect(result.audit).toEqual({ policy: 'Metadata', log });
  // The control plane's directory is gone; the log is kept.
  expect((await stat(log)).size).toBeGreaterThan(0);

  const events = (await readFile(log, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEvent);
  for (const e of events) {
    expect(e.apiVersion).toBe('audit.k8s.io/v1');
    expect(e.kind).toBe('Event');
    expect(e.level).toBe('Metadata');
    // The level policies leave out RequestReceived; Metadata records no bodies.
    expect(e.stage).not.toBe('RequestReceived');
    expect(e.requestObject).toBeUndefined();
    expect(e.responseObject).toBeUndefined();
  }

  // Per user: "verb resource code" counts from the log, against what each group's client saw.
  const logged = (user: string) => {
    const counts: Record<string, number> = {};
    for (const e of events) {
      if (e.user.username !== user || e.stage !== 'ResponseComplete') continue;
      const key = `${e.verb} ${e.objectRef?.resource ?? '-'} ${e.responseStatus?.code ?? '-'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  const reader = result.actors.reader!.requests;
  const writer = result.actors.writer!.requests;
  expect(reader.total).toBeGreaterThan(100);
  expect(writer.total).toBeGreaterThan(50);
  expect(logged('audit-reader')).toEqual(reader.byKey);
  expect(logged('audit-writer')).toEqual(writer.byKey);
  expect(Object.keys(reader.byKey).some((k) => k.startsWith('list '))).toBe(true);
  expect(Object.keys(writer.byKey).every((k) => k.startsWith('create configmaps '))).toBe(true);
  // The load never ran as the admin: every event of a tenant user carries its own groups.
  const writerEvent = events.find((e) => e.user.username === 'audit-writer');
  expect(writerEvent?.user.groups).toContain('system:authenticated');
}, 90_000);
