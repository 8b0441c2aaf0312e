// spec.webhooks: admission webhooks that apfbench serves itself for the run, on the writes of the
// scenario's namespaces, with the latency, failures and failure policy they are given.
import { z } from 'zod';
import { dnsLabel, duration, integer, withRule } from '../validation/fields.js';
import { DURATION_EXAMPLES } from '../validation/units.js';
import type { Path } from '../validation/yaml-path.js';

/** The operations an admission rule matches (admissionregistration.k8s.io/v1 RuleWithOperations). */
export const WEBHOOK_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'] as const;

/** The API server refuses a webhook's timeoutSeconds outside 1 to 30. */
export const MAX_WEBHOOK_TIMEOUT_SECONDS = 30;

const ruleSchema = z.strictObject({
  apiGroups: z
    .array(z.string())
    .min(1)
    .describe('API groups of the resources; "" is the core group. Default: [""].')
    .default(['']),
  apiVersions: z
    .array(z.string().min(1))
    .min(1)
    .describe('Their versions; "*" is any. Default: [v1].')
    .default(['v1']),
  resources: z
    .array(z.string().min(1))
    .min(1)
    .describe('Plural names (configmaps, pods/status); each must exist on the server.'),
  operations: z.array(z.enum(WEBHOOK_OPERATIONS)).min(1),
});

const positiveDuration = duration.pipe(z.number().gt(0, 'must be more than 0s'));

const latencySchema = z
  .union(
    [
      duration.transform((value) => ({ distribution: 'constant' as const, value })),
      z.discriminatedUnion('distribution', [
        z.strictObject({ distribution: z.literal('constant'), value: duration }),
        withRule(
          z.strictObject({ distribution: z.literal('uniform'), min: duration, max: duration }),
          (d, valid, report) => {
            if (valid('min') && valid('max') && d.max < d.min) {
              report(['max'], 'must be at least min');
            }
          },
        ),
        z.strictObject({ distribution: z.literal('exponential'), mean: positiveDuration }),
      ]),
    ],
    {
      error: `must be a duration ${DURATION_EXAMPLES}, or { distribution: constant, value }, { distribution: uniform, min, max } or { distribution: exponential, mean }`,
    },
  )
  .describe(
    'How long the webhook takes to answer: a duration (2s), or { distribution: uniform, min, max } ' +
      'or { distribution: exponential, mean }.',
  );

export const webhookSchema = z.strictObject({
  name: dnsLabel,
  kind: z.enum(['validating', 'mutating']),
  rules: z.array(ruleSchema).min(1),
  namespaces: z
    .array(dnsLabel)
    .min(1)
    .describe(
      "Namespaces whose requests it sees, among the scenario's own (spec.namespace and the " +
        "fixtures'). Default: all of those.",
    )
    .optional(),
  latency: latencySchema.prefault('0s'),
  failureRatio: z
    .number()
    .min(0)
    .max(1)
    .describe('Share of calls answered with HTTP 500, which the failure policy then decides.')
    .default(0),
  timeoutSeconds: integer
    .min(1)
    .max(MAX_WEBHOOK_TIMEOUT_SECONDS)
    .describe('How long the API server waits for an answer.')
    .default(10),
  failurePolicy: z.enum(['Fail', 'Ignore']).default('Fail'),
});

export type WebhookInput = z.input<typeof webhookSchema>;
type ParsedWebhook = z.output<typeof webhookSchema>;
/** A webhook as the run uses it: its namespaces resolved. */
export type Webhook = Omit<ParsedWebhook, 'namespaces'> & { readonly namespaces: string[] };
export type WebhookRule = Webhook['rules'][number];

/**
 * The rules of spec.webhooks across fields: names are unique, and each webhook's namespaces are
 * the scenario's own (`namespaces`), so that no webhook of a run can slow what it does not load.
 */
export function checkWebhooks(
  webhooks: readonly ParsedWebhook[],
  namespaces: readonly string[] | undefined,
  valid: (...path: Path) => boolean,
  report: (path: Path, message: string) => void,
): void {
  const firstByName = new Map<string, number>();
  webhooks.forEach((w, i) => {
    if (valid('webhooks', i, 'name')) {
      const first = firstByName.get(w.name);
      if (first === undefined) firstByName.set(w.name, i);
      else report(['webhooks', i, 'name'], `is already the name of spec.webhooks[${first}]`);
    }
    if (namespaces === undefined || !valid('webhooks', i, 'namespaces')) return;
    (w.namespaces ?? []).forEach((ns, k) => {
      if (!namespaces.includes(ns)) {
        report(
          ['webhooks', i, 'namespaces', k],
          `is not one of the scenario's namespaces (${namespaces.join(', ')}); a webhook sees only the run's own requests`,
        );
      }
    });
  });
}
