import { describe, expect, it } from 'vitest';
import { configuredWebhookName, webhookConfiguration } from '../../../src/engine/webhooks.js';
import type { Webhook } from '../../../src/scenario/index.js';

const webhook: Webhook = {
  name: 'slow',
  kind: 'mutating',
  rules: [
    { apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE'] },
  ],
  namespaces: ['apfbench', 'fixtures'],
  latency: { distribution: 'constant', value: 2000 },
  failureRatio: 0,
  timeoutSeconds: 5,
  failurePolicy: 'Ignore',
};

describe('webhookConfiguration', () => {
  it("registers one webhook at the URL, trusting the CA, in the run's namespaces only", () => {
    const config = webhookConfiguration(webhook, {
      name: 'apfbench-run-1-slow',
      url: 'https://127.0.0.1:4443/webhooks/slow',
      caPem: 'PEM',
      labels: { 'apfbench.dev/run': 'run-1' },
    });
    expect(config).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'apfbench-run-1-slow', labels: { 'apfbench.dev/run': 'run-1' } },
      webhooks: [
        {
          name: 'slow.webhooks.apfbench.dev',
          clientConfig: {
            url: 'https://127.0.0.1:4443/webhooks/slow',
            caBundle: Buffer.from('PEM').toString('base64'),
          },
          rules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              resources: ['configmaps'],
              operations: ['CREATE'],
              scope: 'Namespaced',
            },
          ],
          namespaceSelector: {
            matchExpressions: [
              {
                key: 'kubernetes.io/metadata.name',
                operator: 'In',
                values: ['apfbench', 'fixtures'],
              },
            ],
          },
          failurePolicy: 'Ignore',
          matchPolicy: 'Equivalent',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
          reinvocationPolicy: 'Never',
        },
      ],
    });
  });

  it('makes a validating configuration without a reinvocation policy', () => {
    const config = webhookConfiguration(
      { ...webhook, kind: 'validating' },
      { name: 'n', url: 'https://127.0.0.1:1/x', caPem: 'PEM', labels: {} },
    ) as unknown as { kind: string; webhooks: Record<string, unknown>[] };
    expect(config.kind).toBe('ValidatingWebhookConfiguration');
    expect(config.webhooks[0]).not.toHaveProperty('reinvocationPolicy');
    expect(configuredWebhookName(webhook)).toBe('slow.webhooks.apfbench.dev');
  });
});
