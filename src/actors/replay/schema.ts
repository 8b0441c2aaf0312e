// The `replay` actor group in a scenario file: one flow of a recorded cluster's traffic (a user
// with its groups, as APF classifies it), derived from an audit log by `apfbench scenario
// from-audit` (docs/replay.md), replayed at the recorded per-step rates with the recorded mix.
import { z } from 'zod';
import { dnsLabel, duration, integer, withRule } from '../../validation/fields.js';
import { instanceCount, retrySchema, size, transportSchema } from '../../scenario/fields.js';

/** The `type` of a replay group; other layers name it through this constant. */
export const REPLAY_TYPE = 'replay' as const;

export const REPLAY_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
] as const;
export type ReplayVerb = (typeof REPLAY_VERBS)[number];

/** Verbs that write an object the replay has to build: only for these resources. */
export const WRITABLE_RESOURCES = ['configmaps', 'secrets', 'leases'] as const;
export const BODY_VERBS: readonly ReplayVerb[] = ['create', 'update', 'patch'];

export const RESOURCE_VERSION_SEMANTICS = ['latest', 'any', 'notOlderThan', 'exact'] as const;

const mixEntrySchema = withRule(
  z.strictObject({
    verb: z.enum(REPLAY_VERBS),
    group: z.string().describe("API group; '' (the default) is the core group.").default(''),
    version: z.string().min(1).default('v1'),
    resource: z
      .string()
      .regex(/^[a-z0-9.-]+$/, 'must be a lowercase plural resource name')
      .describe('Plural resource name; omitted with `path`.')
      .optional(),
    subresource: z.string().min(1).optional(),
    namespaced: z
      .boolean()
      .describe("In the scenario's namespace (true), or cluster-wide.")
      .default(true),
    named: z
      .boolean()
      .describe('A request for one object by name (one of `objects` fixtures).')
      .default(false),
    path: z
      .string()
      .regex(/^\/[^?#\s]*$/, 'must be a URL path starting with /, without a query')
      .describe('A non-resource URL (/healthz, /version); only with verb get.')
      .optional(),
    labelSelector: z.string().min(1).optional(),
    fieldSelector: z.string().min(1).optional(),
    limit: integer.min(1).describe('LIST page size, as recorded.').optional(),
    watchSeconds: integer
      .min(1)
      .describe('How long a WATCH is held open (timeoutSeconds): the recorded mean, at least 1.')
      .optional(),
    resourceVersion: z
      .enum(RESOURCE_VERSION_SEMANTICS)
      .describe(
        'latest: unset (a quorum read; a watch from now); any: "0" (from the cache); ' +
          'notOlderThan / exact: a current resourceVersion with that match.',
      )
      .optional(),
    weight: z.number().gt(0).describe('Relative to the other entries: the recorded count.'),
    objects: integer
      .min(1)
      .describe('Distinct objects the recorded requests named; the fixtures create as many.')
      .optional(),
    size: size
      .describe('Payload bytes of a write; recorded where the audit level allowed.')
      .optional(),
    codes: z
      .record(z.string().regex(/^\d{1,3}$/), integer.min(0))
      .describe('Response codes in the log, a baseline to compare with; not used by the replay.')
      .optional(),
  }),
  (entry, valid, report) => {
    if (!valid('verb')) return;
    if ((entry.resource === undefined) === (entry.path === undefined)) {
      report([], 'needs either resource or path');
    }
    if (entry.path !== undefined && entry.verb !== 'get') {
      report(['path'], 'only allowed with verb get');
    }
    const writes = BODY_VERBS.includes(entry.verb) || entry.verb === 'delete';
    if (
      writes &&
      entry.resource !== undefined &&
      !(WRITABLE_RESOURCES as readonly string[]).includes(entry.resource)
    ) {
      report(['resource'], `a replay writes only ${WRITABLE_RESOURCES.join(', ')}`);
    }
    if (writes && entry.namespaced === false) {
      report(['namespaced'], 'a replay writes only in its namespace');
    }
  },
);

export const replaySchema = withRule(
  z.strictObject({
    name: dnsLabel,
    type: z.literal(REPLAY_TYPE),
    count: instanceCount.describe(
      'Instances, each its own flow; a merged "other" group has one per flow it stands for.',
    ),
    identity: z
      .string()
      .min(1)
      .describe('User name; {i} is the instance index. Default: <name>-{i}.')
      .optional(),
    groups: z
      .array(z.string().min(1))
      .describe("The user's groups, which decide its FlowSchema.")
      .default([]),
    mode: z
      .enum(['timeline', 'exact'])
      .describe(
        'timeline: open-loop rates following `rates` with the mix by weight; exact: each ' +
          'recorded request (`offsets`, `entries`) at its recorded offset.',
      )
      .default('timeline'),
    offsets: z
      .array(z.number().min(0))
      .describe("exact: each request's send time, ms from the start, in increasing order.")
      .optional(),
    entries: z
      .array(integer.min(0))
      .describe('exact: the index in `mix` of each request of `offsets`.')
      .optional(),
    arrival: z
      .enum(['constant', 'poisson'])
      .describe('Sends spread evenly over each step, or as a Poisson process at its rate.')
      .default('constant'),
    resolution: duration
      .pipe(z.number().gt(0))
      .describe('The length of each step of `rates`.')
      .prefault('10s'),
    rates: z
      .array(z.number().min(0))
      .min(1)
      .describe('Requests per second of each instance in each step, from the start of the run.'),
    mix: z.array(mixEntrySchema).min(1),
    maxInFlight: integer.min(1).default(64),
    retry: retrySchema.optional(),
    transport: transportSchema.optional(),
    source: z
      .strictObject({
        user: z.string().optional(),
        flows: integer.min(1).optional(),
        priorityLevel: z.string().optional(),
      })
      .describe(
        'Where the group came from: the recorded user, how many flows it stands for, and ' +
          'its priority level under the default FlowSchemas (an estimate). Informational.',
      )
      .optional(),
  }),
  (group, valid, report) => {
    if (!valid('mode')) return;
    const exactFields = (['offsets', 'entries'] as const).filter((f) => group[f] !== undefined);
    if (group.mode !== 'exact') {
      for (const f of exactFields) report([f], 'only allowed with mode exact');
      return;
    }
    if (exactFields.length < 2) {
      report([], 'mode exact needs offsets and entries');
      return;
    }
    if (valid('count') && group.count !== 1) report(['count'], 'must be 1 with mode exact');
    if (!valid('offsets') || !valid('entries')) return;
    const offsets = group.offsets!;
    const entries = group.entries!;
    if (offsets.length !== entries.length) {
      report(['entries'], `must have as many items as offsets (${offsets.length})`);
    }
    const at = offsets.findIndex((t, i) => i > 0 && t < offsets[i - 1]!);
    if (at !== -1) report(['offsets', at], 'must not be less than the offset before it');
    if (Array.isArray(group.mix)) {
      const bad = entries.findIndex((e) => e >= group.mix.length);
      if (bad !== -1)
        report(['entries', bad], `must be an index of mix (below ${group.mix.length})`);
    }
  },
).transform(({ identity, ...group }) => ({
  ...group,
  identity: identity ?? `${group.name}-{i}`,
}));

export type ReplayActorGroup = z.output<typeof replaySchema>;
export type ReplayActorGroupInput = z.input<typeof replaySchema>;
export type ReplayMixEntry = ReplayActorGroup['mix'][number];
export type ReplayMixEntryInput = ReplayActorGroupInput['mix'][number];
