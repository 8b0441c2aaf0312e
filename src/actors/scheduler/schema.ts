import { z } from 'zod';
import { dnsLabel, integer } from '../../validation/fields.js';
import { authSchema, retrySchema, transportSchema } from '../../scenario/fields.js';

/**
 * A scheduler group: instances watch the run's unscheduled pods in the scenario namespace
 * (fieldSelector spec.nodeName=) and bind each to a simulated node through pods/<name>/binding.
 * The nodes are the scenario's kubelet groups' nodes, or `nodes` names node-00000, node-00001, ...
 */
export const schedulerSchema = z.strictObject({
  name: dnsLabel,
  type: z.literal('scheduler'),
  count: integer.min(1).max(1, 'must be 1: several schedulers would race for the same pods'),
  identity: z
    .string()
    .min(1)
    .describe('User; default system:kube-scheduler (flow schema kube-scheduler, workload-high).')
    .default('system:kube-scheduler'),
  nodes: integer
    .min(1)
    .describe('Nodes to bind to when the scenario has no kubelet group: node-00000, ...')
    .optional(),
  placement: z.enum(['round-robin', 'least-loaded']).default('round-robin'),
  maxInFlight: integer.min(1).describe('Bindings in flight.').default(16),
  pageSize: integer.min(1).default(500),
  retry: retrySchema.optional(),
  transport: transportSchema.optional(),
  auth: authSchema.optional(),
});

export type SchedulerActorGroup = z.output<typeof schedulerSchema>;
