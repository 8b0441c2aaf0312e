import { z } from 'zod';
import { dnsLabel, duration, integer, positiveRate } from '../../validation/fields.js';
import { instanceCount, retrySchema, transportSchema } from '../../scenario/fields.js';

/**
 * A pod-churn group: instances create pods in the scenario namespace at `rate` each, annotated
 * with `apfbench.dev/created-at` (the intended create time, epoch ms), and delete each pod
 * `lifetime` after its creation (grace period 0: no real kubelet confirms a deletion).
 */
export const podChurnSchema = z
  .strictObject({
    name: dnsLabel,
    type: z.literal('pod-churn'),
    count: instanceCount,
    identity: z
      .string()
      .min(1)
      .describe(
        'User; {i} is the instance index. Default: <name>-{i} (flow schema global-default).',
      )
      .optional(),
    rate: positiveRate.describe('Pods created per second by each instance.'),
    arrival: z.enum(['constant', 'poisson']).default('constant'),
    lifetime: duration
      .pipe(z.number().min(0))
      .describe('How long a pod lives before its creator deletes it.')
      .prefault('30s'),
    maxInFlight: integer.min(1).default(16),
    retry: retrySchema.optional(),
    transport: transportSchema.optional(),
  })
  .transform(({ identity, ...group }) => ({
    ...group,
    identity: identity ?? `${group.name}-{i}`,
  }));

export type PodChurnActorGroup = z.output<typeof podChurnSchema>;
