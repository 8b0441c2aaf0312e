// The scenario file format. The zod schemas are the single source of truth: the model types
// below are their outputs (units converted, defaults applied) and the editors' JSON Schema is
// generated from their input side (see json-schema.ts).
import { z } from 'zod';
import {
  DURATION_EXAMPLES,
  DURATION_PATTERN,
  RATE_EXAMPLES,
  RATE_PATTERN,
  SIZE_EXAMPLES,
  SIZE_PATTERN,
  formatDuration,
  parseDuration,
  parseRate,
  parseSize,
  type UnitResult,
} from './units.js';
import type { Path } from './yaml-path.js';

export const API_VERSION = 'apfbench.dev/v1alpha1';

/** etcd refuses objects above ~1.5MiB; 1Mi of payload leaves room for metadata. */
export const MAX_OBJECT_PAYLOAD = 2 ** 20;

/**
 * An integer. Unlike z.int(), whose issue aborts the rest of the parse, this one lets the
 * cross-field rules run (see withRule), so that every problem is still reported.
 */
const integer = z.number().multipleOf(1, 'must be an integer').meta({ type: 'integer' });

/** A message for a wrong value that still lets a missing one read "is required". */
const expecting = (message: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? undefined : message),
});

function withUnit<T>(input: z.ZodType<T>, parse: (value: T) => UnitResult) {
  return input.transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.message, input: value });
    return z.NEVER;
  });
}

const duration = withUnit(
  z.string(expecting(`must be a duration ${DURATION_EXAMPLES}`)),
  parseDuration,
).meta({
  description: 'Duration: 500ms, 30s, 2m, 1h or a sum such as 1m30s.',
  pattern: DURATION_PATTERN.source,
});

const rate = withUnit(
  z.union([z.number(), z.string().meta({ pattern: RATE_PATTERN.source })], {
    error: `must be a rate ${RATE_EXAMPLES}`,
  }),
  parseRate,
).meta({ description: 'Rate: 200/s, 12/m, 3/h, or a number meaning per second.' });

const size = withUnit(
  z.union([integer, z.string().meta({ pattern: SIZE_PATTERN.source })], {
    error: `must be a size in bytes ${SIZE_EXAMPLES}`,
  }),
  parseSize,
)
  .pipe(z.number().max(MAX_OBJECT_PAYLOAD, 'must be <= 1Mi (etcd rejects objects over ~1.5MiB)'))
  .meta({ description: 'Bytes: 512, 4Ki, 1Mi, 10k (10000) or 2M; at most 1Mi.' });

const positiveRate = rate.pipe(z.number().gt(0));
const nonNegativeRate = rate.pipe(z.number().min(0));

const dnsLabel = z
  .string()
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

/**
 * Adds a rule across the fields of an object schema. Zod skips refinements once a field has
 * failed; these run anyway, so that every problem of a file is reported at once. The rule may
 * only read values for which `valid(...path)` holds — nothing at, above or below that path
 * (relative to the object) failed — and those values are already converted.
 */
function withRule<S extends z.ZodType<object>>(
  schema: S,
  rule: (
    value: z.output<S>,
    valid: (...path: Path) => boolean,
    report: (path: Path, message: string) => void,
  ) => void,
): S {
  return schema.superRefine(
    (value, ctx) => {
      const related = (a: Path, b: Path) =>
        a.length > 0 && a.every((key, i) => i >= b.length || key === b[i]);
      rule(
        value,
        (...path) => !ctx.issues.some((issue) => related(issue.path ?? [], path)),
        (path, message) =>
          ctx.addIssue({ code: 'custom', path: [...path], message, input: undefined }),
      );
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
}

export const VERBS = ['get', 'list', 'create', 'update', 'patch', 'delete'] as const;
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

const stageSchema = z.strictObject({ duration, target: nonNegativeRate });

const retrySchema = z.strictObject({
  maxRetries: integer.min(0).max(20),
  maxBackoff: duration.pipe(z.number().gt(0)),
});

const tenantSchema = withRule(
  z.strictObject({
    name: dnsLabel,
    type: z.literal('tenant'),
    count: integer.min(1),
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

/** Actor groups, discriminated by `type`; kubelet, controller and scheduler will join. */
const actorGroupSchema = z.discriminatedUnion('type', [tenantSchema]);

const fixtureSchema = z.strictObject({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: dnsLabel.describe('Default: spec.namespace.').optional(),
  count: integer.min(1),
  size,
  namePrefix: dnsLabel.default('fixture'),
  labels: z.record(z.string(), z.string()).optional(),
});

const specSchema = withRule(
  z.strictObject({
    duration: duration.pipe(z.number().gt(0)),
    warmup: duration
      .describe('Leading part of duration whose measurements are not counted.')
      .prefault('0s'),
    seed: integer.default(1),
    workers: integer.min(1).describe('Worker threads; omitted: the engine decides.').optional(),
    namespace: dnsLabel.default('apfbench'),
    cleanup: z.enum(['always', 'on-success', 'never']).default('always'),
    fixtures: z
      .array(fixtureSchema)
      .describe('Objects created with the admin identity before the run.')
      .default([]),
    actors: z.array(actorGroupSchema).min(1),
  }),
  (spec, valid, report) => {
    if (!valid('duration')) return;
    if (valid('warmup') && spec.warmup >= spec.duration) {
      report(['warmup'], `must be less than spec.duration (${formatDuration(spec.duration)})`);
    }
    if (!Array.isArray(spec.actors)) return;
    const firstByName = new Map<string, number>();
    spec.actors.forEach((group, i) => {
      if (valid('actors', i, 'name')) {
        const first = firstByName.get(group.name);
        if (first === undefined) firstByName.set(group.name, i);
        else report(['actors', i, 'name'], `is already the name of spec.actors[${first}]`);
      }
      // Without a valid type no member schema converted the group: it is still raw input.
      if (valid('actors', i, 'type') && valid('actors', i, 'stages') && 'stages' in group) {
        const total = group.stages.reduce((sum, stage) => sum + stage.duration, 0);
        if (total > spec.duration) {
          report(
            ['actors', i, 'stages'],
            `last ${formatDuration(total)} in total, longer than spec.duration (${formatDuration(spec.duration)})`,
          );
        }
      }
    });
  },
).transform(({ fixtures, ...spec }) => ({
  ...spec,
  fixtures: fixtures.map((fixture) => ({
    ...fixture,
    namespace: fixture.namespace ?? spec.namespace,
  })),
}));

export const scenarioSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Scenario'),
    metadata: z.strictObject({
      name: dnsLabel,
      description: z.string().optional(),
    }),
    spec: specSchema,
  })
  .meta({
    title: 'apfbench Scenario',
    description:
      'A load scenario for apfbench: which actors send what to the API server, and for how long.',
  });

/** A scenario with defaults applied; durations in ms, rates per second, sizes in bytes. */
export type Scenario = z.output<typeof scenarioSchema>;
/** A scenario as written in a file. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioSpec = Scenario['spec'];
export type ActorGroup = ScenarioSpec['actors'][number];
export type TenantActorGroup = Extract<ActorGroup, { type: 'tenant' }>;
export type MixEntry = TenantActorGroup['mix'][number];
export type Verb = MixEntry['verb'];
export type Stage = z.output<typeof stageSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type Fixture = ScenarioSpec['fixtures'][number];
