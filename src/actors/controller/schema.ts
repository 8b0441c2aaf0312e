import { z } from 'zod';
import { dnsLabel, duration, integer, positiveRate, withRule } from '../../validation/fields.js';
import { instanceCount, retrySchema, size, transportSchema } from '../../scenario/fields.js';

/** client-go `retry.DefaultRetry`: how a reconcile retries a 409. */
const conflictRetrySchema = z.strictObject({
  steps: integer.min(1).max(100).describe('Attempts in all, the first included.').default(5),
  duration: duration.pipe(z.number().min(0)).describe('Wait between attempts.').prefault('10ms'),
  factor: z.number().min(1).describe('Each wait is the previous one times factor.').default(1),
  jitter: z.number().min(0).max(1).describe('Up to this fraction is added to a wait.').default(0.1),
});

/**
 * A controller group: instances are informers on ConfigMaps that reconcile by read-modify-write.
 * Instances are split into object sets of `watchersPerSet` instances; each set has its own
 * `objects` ConfigMaps, which every instance of the set lists and watches, and which the first
 * `writersPerObject` instances of the set update at `rate` each (contention: writers per object).
 */
export const controllerSchema = withRule(
  z.strictObject({
    name: dnsLabel,
    type: z.literal('controller'),
    count: instanceCount,
    identity: z
      .string()
      .min(1)
      .describe(
        'User name; {i} is the instance index. Default: service account ' +
          'system:serviceaccount:apfbench:<name>-{i} (flow schema service-accounts).',
      )
      .optional(),
    rate: positiveRate.describe('Reconciles per second of each writing instance.'),
    arrival: z.enum(['constant', 'poisson']).default('constant'),
    objects: integer.min(1).max(10_000).describe('ConfigMaps in each object set.').default(10),
    objectSize: size.describe('Payload bytes each write puts in the object.').prefault(256),
    watchersPerSet: integer
      .min(1)
      .describe('Instances sharing one object set, all watching it. Default: count (one set).')
      .optional(),
    writersPerObject: integer
      .min(1)
      .describe('Instances of each set that also reconcile. Default: watchersPerSet.')
      .optional(),
    pageSize: integer.min(1).describe('LIST page size (limit) of the informer.').default(500),
    watchTimeout: duration
      .pipe(z.number().min(1000))
      .describe('Server-side timeoutSeconds of each watch; it is reopened after.')
      .prefault('5m'),
    watchGrace: duration
      .pipe(z.number().min(0).max(5000, 'must be <= 5s (the run drains for 10s)'))
      .describe('How long watches stay open after the last write, for its events to arrive.')
      .prefault('2s'),
    maxInFlight: integer.min(1).describe('Reconciles in flight per instance.').default(4),
    retry: retrySchema.optional(),
    transport: transportSchema.optional(),
    conflictRetry: conflictRetrySchema.prefault({}),
  }),
  (group, valid, report) => {
    const watchers = group.watchersPerSet ?? group.count;
    if (valid('watchersPerSet') && valid('count') && watchers > group.count) {
      report(['watchersPerSet'], `must be <= count (${group.count})`);
    }
    if (
      valid('writersPerObject') &&
      valid('watchersPerSet') &&
      valid('count') &&
      group.writersPerObject !== undefined &&
      group.writersPerObject > watchers
    ) {
      report(['writersPerObject'], `must be <= watchersPerSet (${watchers})`);
    }
  },
).transform(({ identity, watchersPerSet, writersPerObject, ...group }) => {
  const watchers = watchersPerSet ?? group.count;
  return {
    ...group,
    identity: identity ?? `system:serviceaccount:apfbench:${group.name}-{i}`,
    watchersPerSet: watchers,
    writersPerObject: writersPerObject ?? watchers,
  };
});

export type ControllerActorGroup = z.output<typeof controllerSchema>;
