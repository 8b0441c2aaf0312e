// The admission webhooks of spec.webhooks, hosted by apfbench for one run: checked against the
// server's API before anything is created, served over HTTPS on loopback (a CA of their own,
// kube/admission-server.ts), registered as Validating- or MutatingWebhookConfigurations labelled
// with the run, and removed when the run ends, also after Ctrl-C or a failure. What they saw is
// the run's `webhooks` section (metrics/webhooks.ts).
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateLoopbackServing } from '../cluster/pki.js';
import { ApfbenchError } from '../errors.js';
import {
  startAdmissionServer,
  type AdmissionCall,
  type AdmissionServer,
} from '../kube/admission-server.js';
import { resources, type KubeClient, type KubeObject, type Resource } from '../kube/index.js';
import {
  emptyWebhookTally,
  recordWebhookCall,
  tallyFigures,
  type WebhookTally,
  type WebhooksSection,
} from '../metrics/webhooks.js';
import type { Webhook } from '../scenario/index.js';
import { describeLatency, sampleLatency } from '../timing/latency.js';
import { createRng } from '../timing/random.js';
import { InvalidFileError, type Problem } from '../validation/problems.js';
import { locatePath } from '../validation/validate.js';
import type { Path } from '../validation/yaml-path.js';
import type { Measurement } from './measurement.js';

/** The `webhooks[].name` the API server knows a scenario's webhook by (its metrics' label). */
export const configuredWebhookName = (w: Pick<Webhook, 'name'>) =>
  `${w.name}.webhooks.apfbench.dev`;

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const configurationResource = (w: Pick<Webhook, 'kind'>): Resource =>
  w.kind === 'validating'
    ? resources.validatingwebhookconfigurations
    : resources.mutatingwebhookconfigurations;

/**
 * Pure. The configuration that registers `w` for a run: one webhook called at `url`, trusting
 * `caPem`, on the rules' resources in the webhook's namespaces only (namespaced resources: a
 * rule's scope is `Namespaced`), without side effects, so that a dry-run request reaches it.
 */
export function webhookConfiguration(
  w: Webhook,
  o: {
    readonly name: string;
    readonly url: string;
    readonly caPem: string;
    readonly labels: Record<string, string>;
  },
): KubeObject {
  const r = configurationResource(w);
  return {
    apiVersion: `${r.group}/${r.version}`,
    kind: r.kind,
    metadata: { name: o.name, labels: o.labels },
    webhooks: [
      {
        name: configuredWebhookName(w),
        clientConfig: { url: o.url, caBundle: Buffer.from(o.caPem).toString('base64') },
        rules: w.rules.map((rule) => ({
          apiGroups: rule.apiGroups,
          apiVersions: rule.apiVersions,
          resources: rule.resources,
          operations: rule.operations,
          scope: 'Namespaced',
        })),
        namespaceSelector: {
          matchExpressions: [
            { key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...w.namespaces] },
          ],
        },
        failurePolicy: w.failurePolicy,
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: w.timeoutSeconds,
        ...(w.kind === 'mutating' ? { reinvocationPolicy: 'Never' } : {}),
      },
    ],
  };
}

interface ApiResource {
  readonly name: string;
  readonly namespaced: boolean;
}

/** One problem of spec.webhooks found on the server, at its path under the scenario's spec. */
export interface WebhookProblem {
  readonly path: Path;
  readonly message: string;
}

/**
 * Every rule's groups, versions and resources looked up in the server's discovery, as the
 * admin: a group, version or resource it does not serve, or a cluster-scoped resource (a
 * webhook of a run sees only its namespaces), is a problem. `*` matches anything, unchecked.
 */
export async function webhookResourceProblems(
  admin: KubeClient,
  webhooks: readonly Webhook[],
): Promise<WebhookProblem[]> {
  const lists = new Map<string, Promise<readonly ApiResource[] | undefined>>();
  const listOf = (group: string, version: string) => {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let list = lists.get(path);
    if (list === undefined) {
      list = admin.request<{ resources?: ApiResource[] }>({ method: 'GET', path }).then((res) => {
        if (res.status === 404) return undefined;
        if (res.status !== 200) {
          throw new ApfbenchError(
            'APFBENCH_WEBHOOK_FAILED',
            `GET ${path} (API discovery, for spec.webhooks): HTTP ${res.status}`,
          );
        }
        return res.body?.resources ?? [];
      });
      lists.set(path, list);
    }
    return list;
  };
  const problems: WebhookProblem[] = [];
  for (const [i, w] of webhooks.entries()) {
    for (const [j, rule] of w.rules.entries()) {
      const at = (...rest: Path): Path => ['spec', 'webhooks', i, 'rules', j, ...rest];
      for (const [g, group] of rule.apiGroups.entries()) {
        if (group === '*') continue;
        for (const [v, version] of rule.apiVersions.entries()) {
          if (version === '*') continue;
          const served = await listOf(group, version);
          const api =
            group === '' ? `the core API group version ${version}` : `${group}/${version}`;
          if (served === undefined) {
            problems.push({
              path:
                rule.apiGroups.length > 1 || group === ''
                  ? at('apiVersions', v)
                  : at('apiGroups', g),
              message: `the server does not serve ${api}`,
            });
            continue;
          }
          for (const [k, resource] of rule.resources.entries()) {
            if (resource === '*' || resource.startsWith('*/')) continue;
            const found = served.find((r) => r.name === resource);
            if (found === undefined) {
              const known = served
                .filter((r) => !r.name.includes('/'))
                .map((r) => r.name)
                .sort();
              problems.push({
                path: at('resources', k),
                message: `the server has no resource "${resource}" in ${api} (it has: ${known.join(', ')})`,
              });
            } else if (!found.namespaced) {
              problems.push({
                path: at('resources', k),
                message: `"${resource}" is cluster-scoped; a webhook of apfbench sees only the requests in the scenario's namespaces`,
              });
            }
          }
        }
      }
    }
  }
  return problems;
}

/** The problems as located problems of `file` (its text read again), or of `scenario` unlocated. */
async function locate(
  file: string | undefined,
  problems: readonly WebhookProblem[],
): Promise<Problem[]> {
  const text = file === undefined ? '' : await readFile(file, 'utf8').catch(() => '');
  return problems.map((p) => ({
    ...locatePath(text, file ?? 'scenario', p.path),
    message: p.message,
  }));
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Before anything is created: the API server must be on this machine (it calls the webhooks on
 * loopback) and serve every resource the webhooks name. Throws a located error otherwise.
 */
export async function checkWebhooks(
  admin: KubeClient,
  server: string,
  webhooks: readonly Webhook[],
  scenarioFile: string | undefined,
): Promise<void> {
  if (webhooks.length === 0) return;
  if (!LOOPBACK.has(new URL(server).hostname)) {
    const [problem] = await locate(scenarioFile, [
      {
        path: ['spec', 'webhooks'],
        message: `apfbench serves its webhooks on 127.0.0.1, which the API server at ${server} cannot reach`,
      },
    ]);
    throw new InvalidFileError(
      'APFBENCH_WEBHOOK_NOT_LOCAL',
      'scenario',
      [problem!],
      'run it on a local control plane (leave out --kubeconfig), or remove spec.webhooks',
    );
  }
  const problems = await webhookResourceProblems(admin, webhooks);
  if (problems.length > 0) {
    throw new InvalidFileError(
      'APFBENCH_WEBHOOK_RESOURCE',
      'scenario',
      await locate(scenarioFile, problems),
      '`kubectl api-resources` lists what the server serves; nothing was created on it',
    );
  }
}

/** How long to wait for the API server to call a newly registered webhook. */
const READY_TIMEOUT_MS = 10_000;
const PROBE_EVERY_MS = 200;

/** The webhooks of one run, from their registration to their removal. */
export interface WebhookHost {
  /**
   * Starts the server and registers every configuration, then waits until the API server calls
   * each webhook that a dry-run ConfigMap or Secret create can reach. Throws when a step fails,
   * having removed what it had registered.
   */
  register(signal?: AbortSignal): Promise<void>;
  /** Removes the configurations and stops the server; idempotent. Never rejects. */
  remove(): Promise<string[]>;
  /** The `webhooks` section: it removes them, then reports what each saw. */
  readonly measurement: Measurement<{ webhooks?: WebhooksSection }>;
}

/** A host for `webhooks` of run `runId`, whose objects carry `labels`; none: nothing to do. */
export function webhookHost(
  webhooks: readonly Webhook[],
  o: {
    readonly admin: KubeClient;
    readonly runId: string;
    readonly labels: Record<string, string>;
    readonly seed: number;
    readonly say: (line: string) => void;
  },
): WebhookHost {
  const tallies = new Map<string, WebhookTally>(webhooks.map((w) => [w.name, emptyWebhookTally()]));
  const registered: { resource: Resource; name: string }[] = [];
  let server: AdmissionServer | undefined;
  let removing: Promise<string[]> | undefined;
  const nameOf = (w: Webhook) => `apfbench-${o.runId}-${w.name}`;

  const remove = (): Promise<string[]> =>
    (removing ??= (async () => {
      const errors: string[] = [];
      for (const { resource, name } of registered) {
        const res = await o.admin.delete(resource, { name });
        if (res.status !== 200 && res.status !== 404) {
          errors.push(
            `delete ${resource.kind} ${name}: HTTP ${res.status} ${res.error?.message ?? ''}`.trim(),
          );
        }
      }
      if (registered.length > 0) o.say(`removed ${registered.length} webhook configuration(s)`);
      await server?.close();
      return errors;
    })());

  const onCall = (call: AdmissionCall) => {
    const tally = tallies.get(call.webhook);
    if (tally !== undefined) recordWebhookCall(tally, call);
  };

  const probe = async (w: Webhook, signal: AbortSignal | undefined) => {
    const target = probeTarget(w);
    if (target === undefined) {
      o.say(`webhook ${w.name}: no dry-run probe fits its rules; the warm-up covers its start`);
      return;
    }
    const tally = tallies.get(w.name)!;
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (tally.probes === 0 && performance.now() < deadline && signal?.aborted !== true) {
      await o.admin.create(
        target,
        {
          apiVersion: 'v1',
          kind: target.kind,
          metadata: {
            name: 'apfbench-webhook-probe',
            namespace: w.namespaces[0]!,
            labels: o.labels,
          },
        },
        { dryRun: true, discardBody: true },
      );
      if (tally.probes === 0) await sleep(PROBE_EVERY_MS);
    }
    if (tally.probes === 0 && signal?.aborted !== true) {
      o.say(`webhook ${w.name}: not called within ${READY_TIMEOUT_MS / 1000}s of its registration`);
    }
  };

  return {
    register: async (signal) => {
      if (webhooks.length === 0) return;
      try {
        const pki = await generateLoopbackServing('apfbench-webhooks');
        const rng = createRng(o.seed).fork('webhooks');
        server = await startAdmissionServer({
          tls: pki.serving,
          webhooks: new Map(
            webhooks.map((w) => {
              const draws = rng.fork(w.name);
              return [
                w.name,
                {
                  mutating: w.kind === 'mutating',
                  delayMs: () => sampleLatency(w.latency, draws),
                  fail: () => w.failureRatio > 0 && draws.next() < w.failureRatio,
                },
              ];
            }),
          ),
          onCall,
        });
        for (const w of webhooks) {
          const resource = configurationResource(w);
          const name = nameOf(w);
          const res = await o.admin.create(
            resource,
            webhookConfiguration(w, {
              name,
              url: server.url(w.name),
              caPem: pki.ca.cert,
              labels: o.labels,
            }),
            { discardBody: true },
          );
          if (res.status !== 201) {
            throw new ApfbenchError(
              'APFBENCH_WEBHOOK_FAILED',
              `registering webhook ${w.name} (${resource.kind} ${name}) failed: HTTP ${res.status} ${res.error?.message ?? ''}`.trim(),
            );
          }
          registered.push({ resource, name });
          o.say(
            `registered ${resource.kind} ${name} (${describeLatency(w.latency)}, ${w.failurePolicy})`,
          );
        }
        for (const w of webhooks) await probe(w, signal);
      } catch (err) {
        await remove();
        throw err;
      }
    },
    remove,
    measurement: {
      finish: async ({ result }) => {
        if (webhooks.length === 0) return {};
        const seen = result.server?.admissionWebhooks ?? {};
        const errors = await remove();
        for (const e of errors) o.say(`warning: ${e}`);
        return {
          webhooks: webhooks.map((w) => ({
            name: w.name,
            kind: w.kind,
            configuredName: configuredWebhookName(w),
            latency: describeLatency(w.latency),
            failureRatio: w.failureRatio,
            timeoutSeconds: w.timeoutSeconds,
            failurePolicy: w.failurePolicy,
            ...tallyFigures(tallies.get(w.name)!),
            ...(seen[configuredWebhookName(w)] === undefined
              ? {}
              : { server: seen[configuredWebhookName(w)] }),
          })),
        };
      },
    },
  };
}

/** A ConfigMap or Secret create in its first namespace reaches `w`, if its rules allow one. */
function probeTarget(w: Webhook): Resource | undefined {
  for (const r of [resources.configmaps, resources.secrets]) {
    const matches = w.rules.some(
      (rule) =>
        rule.apiGroups.some((g) => g === '' || g === '*') &&
        rule.apiVersions.some((v) => v === 'v1' || v === '*') &&
        rule.resources.some((x) => x === r.plural || x === '*') &&
        rule.operations.some((op) => op === 'CREATE' || op === '*'),
    );
    if (matches) return r;
  }
  return undefined;
}
