// The `tenant` actor group in a scenario file: clients that send a weighted mix of requests on
// ConfigMaps and Secrets at a fixed rate or along stages.
import { z } from 'zod';
import {
  dnsLabel,
  integer,
  nonNegativeRate,
  positiveRate,
  withRule,
} from '../../validation/fields.js';
import {
  instanceCount,
  retrySchema,
  size,
  stageSchema,
  transportSchema,
} from '../../scenario/fields.js';

const VERBS = ['get', 'list', 'create', 'update', 'patch', 'delete'] as const;
const WRITE_VERBS: readonly (typeof VERBS)[number][] = ['create', 'update', 'patch'];

const mixEntrySchema = withRule(
  z.strictObject({
    verb: z.enum(VERBS),
    resource: z.enum(['configmaps', 'secrets']),
    weight: z.number().gt(0).describe('Relative to the weights of the other entries.'),
    limit: integer.min(1).describe('LIST page size; omitted: one unpaginated LIST.').optional(),
    labelSelector: z.string().min(1).optional(),
    size: size.describe('Payload bytes written; omitted: an empty payload.').optional(),
  }),
  (entry, valid, report) => {
    if (!valid('verb')) return;
    for (const field of ['limit', 'labelSelector'] as const) {
      if (entry[field] !== undefined && entry.verb !== 'list') {
        report([field], 'only allowed with verb list');
      }
    }
    if (entry.size !== undefined && !WRITE_VERBS.includes(entry.verb)) {
      report(['size'], `only allowed with verbs ${WRITE_VERBS.join(', ')}`);
    }
  },
);

export const tenantSchema = withRule(
  z.strictObject({
    name: dnsLabel,
    type: z.literal('tenant'),
    count: instanceCount,
    identity: z
      .string()
      .min(1)
      .describe('User name; {i} is the instance index. Default: <name>-{i}.')
      .optional(),
    rate: positiveRate.optional(),
    startRate: nonNegativeRate.optional(),
    stages: z.array(stageSchema).min(1).optional(),
    arrival: z.enum(['constant', 'poisson']).default('constant'),
    maxInFlight: integer.min(1).default(32),
    retry: retrySchema.optional(),
    transport: transportSchema.optional(),
    mix: z.array(mixEntrySchema).min(1),
  }),
  (group, _valid, report) => {
    if (group.rate !== undefined && group.stages !== undefined) {
      report(['stages'], 'cannot be combined with rate; give one of them');
    } else if (group.rate === undefined && group.stages === undefined) {
      report([], 'needs either rate or stages');
    } else if (group.startRate !== undefined && group.stages === undefined) {
      report(['startRate'], 'only allowed with stages');
    }
  },
).transform(({ rate, startRate, stages, identity, ...group }) => {
  const resolved = { ...group, identity: identity ?? `${group.name}-{i}` };
  // The rule above lets exactly one of rate and stages through.
  return stages === undefined
    ? { ...resolved, rate: rate ?? 0 }
    : { ...resolved, startRate: startRate ?? 0, stages };
});

export type TenantActorGroup = z.output<typeof tenantSchema>;
export type MixEntry = TenantActorGroup['mix'][number];
export type Verb = MixEntry['verb'];
