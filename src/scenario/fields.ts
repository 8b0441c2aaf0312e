// Field types shared by the actor types' scenario schemas (src/actors/<type>/schema.ts) and the
// other apfbench files: the document envelope, instance counts, object payload sizes, retries,
// rate stages. Generic field types (durations, rates, integers, withRule) are in ../validation/.
import { z } from 'zod';
import { duration, integer, nonNegativeRate, withUnit } from '../validation/fields.js';
import { SIZE_EXAMPLES, SIZE_PATTERN, parseSize } from '../validation/units.js';

export { authSchema, transportSchema } from './transport.js';

export const API_VERSION = 'apfbench.dev/v1alpha1';

/**
 * An apfbench file (Scenario, Profile, Budget): `apiVersion`, `kind`, `metadata` with a name
 * and an optional description, and its `spec`. Unknown fields are errors.
 */
export function documentSchema<K extends string, N extends z.ZodType, S extends z.ZodType>(
  kind: K,
  name: N,
  spec: S,
) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: z.strictObject({ name, description: z.string().optional() }),
    spec,
  });
}

/**
 * The most actor instances a scenario may have, all groups together: the coordinator holds the
 * whole plan (an assignment, identity and token per instance) in memory before the run, and a
 * local control plane gets a token for every one. It is also the most identities `cluster up`
 * makes.
 */
export const MAX_ACTOR_INSTANCES = 100_000;

/**
 * The most fixture objects a scenario may create, all fixtures together: each is created one by
 * one before the load starts.
 */
export const MAX_FIXTURE_OBJECTS = 100_000;

/** The `count` of an actor group: at least 1, at most MAX_ACTOR_INSTANCES. */
export const instanceCount = integer
  .min(1)
  .max(
    MAX_ACTOR_INSTANCES,
    `must be <= ${MAX_ACTOR_INSTANCES} (the most instances a scenario may have)`,
  );

/** etcd refuses objects above ~1.5MiB; 1Mi of payload leaves room for metadata. */
export const MAX_OBJECT_PAYLOAD = 2 ** 20;

export const size = withUnit(
  z.union([integer, z.string().meta({ pattern: SIZE_PATTERN.source })], {
    error: `must be a size in bytes ${SIZE_EXAMPLES}`,
  }),
  parseSize,
)
  .pipe(z.number().max(MAX_OBJECT_PAYLOAD, 'must be <= 1Mi (etcd rejects objects over ~1.5MiB)'))
  .meta({ description: 'Bytes: 512, 4Ki, 1Mi, 10k (10000) or 2M; at most 1Mi.' });

/** client-go-like retries of 429s, honouring Retry-After up to maxBackoff. */
export const retrySchema = z.strictObject({
  maxRetries: integer.min(0).max(20),
  maxBackoff: duration.pipe(z.number().gt(0)),
});
export type RetryPolicy = z.output<typeof retrySchema>;

/**
 * One stage of a ramp: the rate moves linearly to `target` over `duration`. A group's `stages`
 * together must fit in spec.duration, which the scenario checks for every type that has them.
 */
export const stageSchema = z.strictObject({ duration, target: nonNegativeRate });
