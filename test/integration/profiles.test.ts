import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import { FlowControlNames, resources, type KubeClient } from '../../src/kube/index.js';
import {
  AUTOUPDATE_ANNOTATION,
  applyProfile,
  parseProfile,
  readFlowControl,
  restoreSnapshot,
  withProfile,
  type Profile,
} from '../../src/profile/index.js';
import type { FlowControlObject } from '../../src/profile/plan.js';
import { clientFor, identityOf, startTestCluster } from '../support/cluster.js';

let cluster: LocalCluster;
let admin: KubeClient;
let tenant: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  admin = cluster.admin();
  tenant = clientFor(cluster, identityOf(cluster.identities.tenants[0]!));
});

afterAll(async () => {
  await tenant?.transport.close();
  await admin?.transport.close();
  await cluster?.stop();
});

function profileOf(yaml: string): Profile {
  const parsed = parseProfile(yaml, 'inline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.profile;
}

/** What restore must bring back: spec, labels and annotations of every flowcontrol object. */
async function comparable(): Promise<Record<string, unknown>> {
  const all = await readFlowControl(admin);
  return Object.fromEntries(
    [...all].map(([key, o]: [string, FlowControlObject]) => [
      key,
      { spec: o.spec, labels: o.metadata.labels, annotations: o.metadata.annotations },
    ]),
  );
}

/** Where the API server's APF filter puts one request of the tenant. */
async function classify(): Promise<{
  flowSchema: string | undefined;
  priorityLevel: string | undefined;
}> {
  const res = await tenant.list(resources.configmaps, { namespace: 'apfbench', limit: 1 });
  expect(res.status).toBe(200);
  const names = await new FlowControlNames().refresh(admin);
  return {
    flowSchema: names.flowSchema(res.flowSchemaUID),
    priorityLevel: names.priorityLevel(res.priorityLevelUID),
  };
}

describe('profiles on a real API server', () => {
  const tenantProfile = () =>
    profileOf(`
apiVersion: apfbench.dev/v1alpha1
kind: Profile
metadata: { name: it-tenant }
spec:
  priorityLevels:
    - metadata: { name: it-tenant }
      spec:
        type: Limited
        limited: { nominalConcurrencyShares: 7, limitResponse: { type: Reject } }
    - metadata: { name: global-default }
      spec:
        type: Limited
        limited:
          nominalConcurrencyShares: 11
          lendablePercent: 50
          limitResponse: { type: Queue, queuing: { queues: 16, handSize: 4, queueLengthLimit: 5 } }
  flowSchemas:
    - metadata: { name: it-tenant }
      spec:
        priorityLevelConfiguration: { name: it-tenant }
        matchingPrecedence: 800
        distinguisherMethod: { type: ByUser }
        rules:
          - subjects: [{ kind: User, user: { name: ${cluster.identities.tenants[0]!.user} } }]
            resourceRules:
              - { verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }
  remove:
    - { kind: FlowSchema, name: probes }
`);

  it('applies a profile, classifies the tenant by it, and restores everything', async () => {
    const original = await comparable();
    expect(await classify()).toEqual({
      flowSchema: 'global-default',
      priorityLevel: 'global-default',
    });

    const applied = await applyProfile(admin, tenantProfile());
    expect(applied.serverConcurrency).toContain(600);
    expect(await classify()).toEqual({ flowSchema: 'it-tenant', priorityLevel: 'it-tenant' });

    const during = await readFlowControl(admin);
    const globalDefault = during.get('PriorityLevelConfiguration/global-default')!;
    expect(globalDefault.metadata.annotations?.[AUTOUPDATE_ANNOTATION]).toBe('false');
    expect(globalDefault.spec).toMatchObject({ limited: { nominalConcurrencyShares: 11 } });
    expect(during.has('FlowSchema/probes')).toBe(false);

    await restoreSnapshot(admin, applied.snapshot);
    expect(await comparable()).toEqual(original);
    expect(await classify()).toEqual({
      flowSchema: 'global-default',
      priorityLevel: 'global-default',
    });
  });

  it('restores after the work in between fails', async () => {
    const original = await comparable();
    await expect(
      withProfile(admin, tenantProfile(), async () => {
        expect((await classify()).flowSchema).toBe('it-tenant');
        throw new Error('the run broke');
      }),
    ).rejects.toThrow('the run broke');
    expect(await comparable()).toEqual(original);
  });

  it.each([
    [
      'before the changes',
      /^profile it-tenant: \d+ change/,
      'interrupted before profile it-tenant',
    ],
    [
      'while waiting for the profile to take effect',
      /^waiting until the server runs profile it-tenant/,
      'interrupted while waiting for profile it-tenant to take effect',
    ],
  ])('on Ctrl-C %s, leaves the objects as they were', async (_when, phase, message) => {
    const original = await comparable();
    const abort = new AbortController();
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-it-snapshot-'));
    const snapshotFile = join(dir, 'profile-snapshot.json');
    const error = await applyProfile(admin, tenantProfile(), {
      signal: abort.signal,
      snapshotFile,
      onPhase: (line) => {
        if (phase.test(line)) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'APFBENCH_INTERRUPTED', kind: 'interrupted' });
    expect((error as Error).message).toContain(message);
    expect(await comparable()).toEqual(original);
    expect(existsSync(snapshotFile)).toBe(false);
  });

  it('changes nothing when the server refuses an object in the dry-run', async () => {
    const original = await comparable();
    const bad = profileOf(`
apiVersion: apfbench.dev/v1alpha1
kind: Profile
metadata: { name: refused }
spec:
  priorityLevels:
    - metadata: { name: fine }
      spec: { type: Limited, limited: { nominalConcurrencyShares: 1 } }
  flowSchemas:
    - metadata: { name: no-namespaces }
      spec:
        priorityLevelConfiguration: { name: fine }
        rules:
          - subjects: [{ kind: Group, group: { name: x } }]
            resourceRules: [{ verbs: [get], apiGroups: [''], resources: [pods] }]
`);
    const error = await applyProfile(admin, bad).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'APFBENCH_PROFILE_REJECTED', kind: 'invalid-input' });
    expect((error as Error).message).toContain('create FlowSchema no-namespaces');
    expect(await comparable()).toEqual(original);
  });
});
