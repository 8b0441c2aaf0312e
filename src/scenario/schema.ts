// The scenario file format, for any set of actor types. The zod schemas are the single source
// of truth: the model types are their outputs (units converted, defaults applied) and the
// editors' JSON Schema is generated from their input side (see json-schema.ts). No actor type is
// known here: each brings the schema of its groups (src/actors/<type>/schema.ts), and
// src/actors/scenario.ts composes the scenario of the registered types with scenarioSchemaOf.
import { z } from 'zod';
import { dnsLabel, duration, integer, withRule } from '../validation/fields.js';
import { formatDuration } from '../validation/units.js';
import {
  documentSchema,
  MAX_ACTOR_INSTANCES,
  MAX_FIXTURE_OBJECTS,
  size,
  type stageSchema,
} from './fields.js';
import { budgetsSchema } from '../budget/schema.js';
import { checkFaults, faultSchema } from './faults.js';
import { transportSchema, type AuthMode, type TransportInput } from './transport.js';
import { checkWebhooks, webhookSchema } from './webhooks.js';

export { MAX_OBJECT_PAYLOAD } from './fields.js';

export { API_VERSION } from './fields.js';

/**
 * What every actor group is once parsed, whatever its type: all that the scenario's own rules,
 * the run plan and the engine read of a group without knowing its type.
 */
export interface ActorGroupBase {
  readonly name: string;
  /** The literal that picks the group's schema, and its actor type's definition. */
  readonly type: string;
  readonly count: number;
  /** The user of each instance; {i} is the instance index. */
  readonly identity: string;
  /** A type that ramps has these (stageSchema); together they must fit in spec.duration. */
  readonly stages?: readonly Stage[];
  /** The group's own `transport` block (transport.ts); every type has the field. */
  readonly transport?: TransportInput | undefined;
  /** How its instances authenticate (authSchema), for types that have the field. */
  readonly auth?: AuthMode | undefined;
}

/** The schema of one actor type's groups: an object whose literal `type` tells the types apart. */
export type ActorGroupSchema = z.ZodType<ActorGroupBase> & z.core.$ZodTypeDiscriminable;

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

/** The spec, its `actors` given by `actorGroup`: the union of the registered types' schemas. */
function specSchemaOf(actorGroup: z.ZodType<ActorGroupBase>) {
  return withRule(
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
      actors: z.array(actorGroup).min(1),
      budgets: budgetsSchema.optional(),
      faults: z
        .array(faultSchema)
        .describe(
          'Faults done to the local control plane apfbench starts, during the measured window; ' +
            'refused on a cluster given with --kubeconfig.',
        )
        .optional(),
      webhooks: z
        .array(webhookSchema)
        .describe(
          'Admission webhooks apfbench serves itself over HTTPS on loopback and registers for ' +
            "the run, on the writes of the scenario's namespaces; removed when it ends.",
        )
        .optional(),
    }),
    (spec, valid, report) => {
      if (!valid('duration')) return;
      if (valid('warmup') && spec.warmup >= spec.duration) {
        report(['warmup'], `must be less than spec.duration (${formatDuration(spec.duration)})`);
      }
      totalAtMost(spec.fixtures, 'fixtures', MAX_FIXTURE_OBJECTS, 'fixture objects', valid, report);
      if (valid('warmup') && spec.warmup < spec.duration && Array.isArray(spec.faults)) {
        checkFaults(spec.faults, spec, valid, report);
      }
      if (Array.isArray(spec.webhooks)) {
        const fixturesOk = valid('fixtures') && valid('namespace');
        checkWebhooks(
          spec.webhooks,
          fixturesOk ? namespacesOf(spec.namespace, spec.fixtures) : undefined,
          valid,
          report,
        );
      }
      if (!Array.isArray(spec.actors)) return;
      totalAtMost(spec.actors, 'actors', MAX_ACTOR_INSTANCES, 'actor instances', valid, report);
      const firstByName = new Map<string, number>();
      spec.actors.forEach((group, i) => {
        if (valid('actors', i, 'name')) {
          const first = firstByName.get(group.name);
          if (first === undefined) firstByName.set(group.name, i);
          else report(['actors', i, 'name'], `is already the name of spec.actors[${first}]`);
        }
        if (
          valid('actors', i, 'auth') &&
          valid('actors', i, 'transport') &&
          valid('transport') &&
          group.auth === 'certificate' &&
          group.transport?.connection === undefined &&
          spec.transport?.connection === 'shared'
        ) {
          report(
            ['actors', i, 'auth'],
            "must be token with spec.transport.connection: shared (a client certificate is presented per connection, and a shared one carries many users); or set this group's transport.connection: per-actor",
          );
        }
        // Without a valid type no member schema converted the group: it is still raw input.
        if (
          valid('actors', i, 'type') &&
          valid('actors', i, 'stages') &&
          group.stages !== undefined
        ) {
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
  ).transform(({ fixtures, webhooks, ...spec }) => ({
    ...spec,
    fixtures: fixtures.map((fixture) => ({
      ...fixture,
      namespace: fixture.namespace ?? spec.namespace,
    })),
    ...(webhooks === undefined
      ? {}
      : {
          webhooks: webhooks.map((w) => ({
            ...w,
            namespaces: w.namespaces ?? namespacesOf(spec.namespace, fixtures),
          })),
        }),
  }));
}

/** The namespaces a scenario writes to: spec.namespace and its fixtures', once each. */
export function namespacesOf(
  namespace: string,
  fixtures: readonly { readonly namespace?: string | undefined }[],
): string[] {
  return [...new Set([namespace, ...fixtures.map((f) => f.namespace ?? namespace)])];
}

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

function scenarioDocumentOf(actorGroup: z.ZodType<ActorGroupBase>) {
  return documentSchema('Scenario', dnsLabel, specSchemaOf(actorGroup)).meta({
    title: 'apfbench Scenario',
    description:
      'A load scenario for apfbench: which actors send what to the API server, and for how long.',
  });
}

/** A scenario whose groups are ActorGroupBase: what code that knows no actor type reads. */
type BaseScenario = z.output<ReturnType<typeof scenarioDocumentOf>>;
type BaseScenarioInput = z.input<ReturnType<typeof scenarioDocumentOf>>;
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * A scenario with defaults applied, whose groups are `G`; durations in ms, rates per second,
 * sizes in bytes. `ScenarioOf<ActorGroupBase>` is any scenario, read without knowing its types.
 */
export type ScenarioOf<G extends ActorGroupBase> = Flat<
  Omit<BaseScenario, 'spec'> & {
    spec: Flat<Omit<BaseScenario['spec'], 'actors'> & { actors: G[] }>;
  }
>;
/** A scenario as written in a file, whose groups are written as `GI`. */
export type ScenarioInputOf<GI> = Flat<
  Omit<BaseScenarioInput, 'spec'> & {
    spec: Flat<Omit<BaseScenarioInput['spec'], 'actors'> & { actors: GI[] }>;
  }
>;

/** The schema of a scenario whose groups parse to `G` from `GI`. */
export type ScenarioSchema<G extends ActorGroupBase = ActorGroupBase, GI = unknown> = z.ZodType<
  ScenarioOf<G>,
  ScenarioInputOf<GI>
>;

/**
 * The scenario file whose `spec.actors` are groups of the given types, discriminated by `type`
 * (src/actors/scenario.ts passes the registered types' schemas, in the registry's order, which
 * is the order of the JSON Schema's alternatives).
 */
export function scenarioSchemaOf<
  const A extends readonly [ActorGroupSchema, ...ActorGroupSchema[]],
>(actorGroups: A): ScenarioSchema<z.output<A[number]>, z.input<A[number]>> {
  // The spec's rules and defaults read only what every group has (ActorGroupBase) and pass each
  // group on as its type's schema parsed it, so the scenario's groups are the union's outputs,
  // which zod cannot infer through `specSchemaOf`'s base type.
  return scenarioDocumentOf(z.discriminatedUnion('type', actorGroups)) as unknown as ScenarioSchema<
    z.output<A[number]>,
    z.input<A[number]>
  >;
}

export type Stage = z.output<typeof stageSchema>;
export type Fixture = BaseScenario['spec']['fixtures'][number];
export type { RetryPolicy } from './fields.js';
export type { Fault, FaultKind } from './faults.js';
export type { Webhook, WebhookRule } from './webhooks.js';
