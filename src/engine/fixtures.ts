import { ApfbenchError } from '../errors.js';
import {
  ok,
  resourcePath,
  resources,
  withQuery,
  type KubeClient,
  type KubeObject,
} from '../kube/index.js';
import { eachLimited } from '../timing/each-limited.js';
import type { Scenario } from '../actors/scenario.js';
import { namespacesOf } from '../scenario/schema.js';

/** Namespaces a scenario writes to: its own and its fixtures'. */
export function scenarioNamespaces(scenario: Scenario): string[] {
  return namespacesOf(scenario.spec.namespace, scenario.spec.fixtures);
}

export async function ensureNamespaces(
  admin: KubeClient,
  namespaces: readonly string[],
): Promise<void> {
  for (const name of namespaces) {
    const res = await admin.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    if (res.status !== 409) ok(res, `create namespace ${name}`);
  }
}

/**
 * Creates the scenario's fixtures as the admin, labelled with the run. An
 * object that already exists (left by an earlier run) is used as it is. Once
 * `signal` aborts (Ctrl-C) it creates no more and returns; the caller checks.
 * `onCount` hears how many of all the fixtures exist so far, after each one.
 */
export async function createFixtures(
  admin: KubeClient,
  scenario: Scenario,
  label: Record<string, string>,
  opts: {
    readonly onProgress?: (line: string) => void;
    readonly onCount?: (done: number, total: number) => void;
    readonly signal?: AbortSignal;
  } = {},
): Promise<number> {
  const { onProgress = () => {}, onCount = () => {}, signal } = opts;
  const total = scenario.spec.fixtures.reduce((n, f) => n + f.count, 0);
  let created = 0;
  let done = 0;
  for (const f of scenario.spec.fixtures) {
    if (signal?.aborted === true) break;
    const payload = 'x'.repeat(f.size);
    const objects = Array.from({ length: f.count }, (_, k): KubeObject => ({
      apiVersion: 'v1',
      kind: f.kind,
      metadata: {
        name: `${f.namePrefix}-${k}`,
        namespace: f.namespace,
        labels: { ...f.labels, ...label },
      },
      data: { payload: f.kind === 'Secret' ? Buffer.from(payload).toString('base64') : payload },
    }));
    onProgress(`creating ${f.count} ${f.kind}s of ${f.size} bytes in ${f.namespace}`);
    await eachLimited(
      objects,
      16,
      async (obj) => {
        const r = f.kind === 'Secret' ? resources.secrets : resources.configmaps;
        const res = await admin.create(r, obj, { discardBody: true });
        if (res.status === 409) {
          onCount(++done, total);
          return;
        }
        if (res.status !== 201) {
          throw new ApfbenchError(
            'APFBENCH_FIXTURE_FAILED',
            `creating fixture ${obj.metadata.name} failed: HTTP ${res.status}`,
            {
              hint: res.status === 0 ? 'is the API server reachable?' : undefined,
            },
          );
        }
        created++;
        onCount(++done, total);
      },
      signal,
    );
  }
  return created;
}

/** Deletes everything labelled with the run in the scenario's namespaces, and its Nodes and node Leases. */
export async function deleteRunObjects(
  admin: KubeClient,
  scenario: Scenario,
  selector: string,
): Promise<{ deleted: number; errors: string[] }> {
  let deleted = 0;
  const errors: string[] = [];
  for (const namespace of scenarioNamespaces(scenario)) {
    for (const r of [resources.configmaps, resources.secrets]) {
      const count = (
        await admin.listAll(r, { namespace, labelSelector: selector }).catch(() => ({ items: [] }))
      ).items.length;
      const res = await admin.deleteCollection(r, { namespace, labelSelector: selector });
      if (res.status === 200) deleted += count;
      else
        errors.push(
          `delete ${r.plural} in ${namespace}: HTTP ${res.status} ${res.error?.message ?? ''}`.trim(),
        );
    }
  }
  // Churned pods, with grace period 0: no real kubelet would confirm a graceful deletion.
  for (const namespace of scenarioNamespaces(scenario)) {
    const r = resources.pods;
    const count = (
      await admin.listAll(r, { namespace, labelSelector: selector }).catch(() => ({ items: [] }))
    ).items.length;
    if (count === 0) continue;
    const res = await admin.request({
      method: 'DELETE',
      path: withQuery(resourcePath(r, { namespace }), {
        labelSelector: selector,
        gracePeriodSeconds: 0,
      }),
    });
    if (res.status === 200) deleted += count;
    else
      errors.push(
        `delete pods in ${namespace}: HTTP ${res.status} ${res.error?.message ?? ''}`.trim(),
      );
  }
  // Kubelets' Nodes are cluster-scoped and their Leases live in kube-node-lease; no garbage
  // collector follows the Leases' owner references on a control plane without controllers.
  const nodeObjects = [
    { r: resources.leases, where: { namespace: 'kube-node-lease' } },
    { r: resources.nodes, where: {} },
  ];
  for (const { r, where } of nodeObjects) {
    const count = (
      await admin.listAll(r, { ...where, labelSelector: selector }).catch(() => ({ items: [] }))
    ).items.length;
    if (count === 0) continue;
    const res = await admin.deleteCollection(r, { ...where, labelSelector: selector });
    if (res.status === 200) deleted += count;
    else errors.push(`delete ${r.plural}: HTTP ${res.status} ${res.error?.message ?? ''}`.trim());
  }
  return { deleted, errors };
}
