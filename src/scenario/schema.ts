// The scenario file format. The zod schemas are the single source of truth: the model types
// below are their outputs (units converted, defaults applied) and the editors' JSON Schema is
// generated from their input side (see json-schema.ts).
import { z } from 'zod';
import {
  dnsLabel,
  duration,
  integer,
  nonNegativeRate,
  positiveRate,
  withRule,
} from '../validation/fields.js';
import { formatDuration } from '../validation/units.js';
import {
  documentSchema,
  instanceCount,
  MAX_ACTOR_INSTANCES,
  MAX_FIXTURE_OBJECTS,
  retrySchema,
  size,
} from './fields.js';
import { controllerSchema } from './actors/controller.js';
import { podChurnSchema } from './actors/pod-churn.js';
import { schedulerSchema } from './actors/scheduler.js';
import { kubeletSchema } from './actors/kubelet.js';
import { budgetsSchema } from '../budget/schema.js';
import { transportSchema } from './transport.js';

export { MAX_OBJECT_PAYLOAD } from './fields.js';

export { API_VERSION } from './fields.js';

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

const tenantSchema = withRule(
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

/** Actor groups, discriminated by `type`; kubelet, controller and scheduler will join. */
const actorGroupSchema = z.discriminatedUnion('type', [
  tenantSchema,
  kubeletSchema,
  controllerSchema,
  schedulerSchema,
  podChurnSchema,
]);

const fixtureSchema = z.strictObject({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: dnsLabel.describe('Default: spec.namespace.').optional(),
  count: integer
    .min(1)
    .max(
      MAX_FIXTURE_OBJECTS,
      `must be <= ${MAX_FIXTURE_OBJECTS} (the most fixture objects a scenario may have)`,
    ),
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
    workers: integer
      .min(1)
      .max(1024)
      .describe(
        'Worker threads, at most 4 per CPU of the machine that runs it; omitted: the engine decides.',
      )
      .optional(),
    timerResolution: duration
      .pipe(z.number().min(1, 'must be at least 1ms').max(100, 'must be at most 100ms'))
      .describe(
        'Granularity of every timer in a worker: sends due within one step go out together at its end. ' +
          '1ms is the finest Node timers allow; a coarser step costs fewer wake-ups per request ' +
          '(see docs/benchmarks.md), and shows as schedule lag and latency from the intended time.',
      )
      .prefault('1ms'),
    namespace: dnsLabel.default('apfbench'),
    cleanup: z.enum(['always', 'on-success', 'never']).default('always'),
    fixtures: z
      .array(fixtureSchema)
      .describe('Objects created with the admin identity before the run.')
      .default([]),
    transport: transportSchema.optional(),
    actors: z.array(actorGroupSchema).min(1),
    budgets: budgetsSchema.optional(),
  }),
  (spec, valid, report) => {
    if (!valid('duration')) return;
    if (valid('warmup') && spec.warmup >= spec.duration) {
      report(['warmup'], `must be less than spec.duration (${formatDuration(spec.duration)})`);
    }
    totalAtMost(spec.fixtures, 'fixtures', MAX_FIXTURE_OBJECTS, 'fixture objects', valid, report);
    if (!Array.isArray(spec.actors)) return;
    totalAtMost(spec.actors, 'actors', MAX_ACTOR_INSTANCES, 'actor instances', valid, report);
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

/**
 * Reports `list` (spec.fixtures or spec.actors) when its entries' counts add up to more than
 * `max`; entries whose count failed are left out (they are reported already).
 */
function totalAtMost(
  list: unknown,
  key: 'fixtures' | 'actors',
  max: number,
  what: string,
  valid: (...path: PropertyKey[]) => boolean,
  report: (path: PropertyKey[], message: string) => void,
): void {
  if (!Array.isArray(list)) return;
  const total = list.reduce<number>(
    (sum, entry: { count?: unknown }, i) =>
      valid(key, i, 'count') && typeof entry.count === 'number' ? sum + entry.count : sum,
    0,
  );
  if (total > max)
    report([key], `have ${total} ${what} in total; a scenario may have at most ${max}`);
}

export const scenarioSchema = documentSchema('Scenario', dnsLabel, specSchema).meta({
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
export type KubeletActorGroup = Extract<ActorGroup, { type: 'kubelet' }>;
export type ControllerActorGroup = Extract<ActorGroup, { type: 'controller' }>;
export type SchedulerActorGroup = Extract<ActorGroup, { type: 'scheduler' }>;
export type PodChurnActorGroup = Extract<ActorGroup, { type: 'pod-churn' }>;
export type MixEntry = TenantActorGroup['mix'][number];
export type Verb = MixEntry['verb'];
export type Stage = z.output<typeof stageSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type Fixture = ScenarioSpec['fixtures'][number];
