// The profile file format: flowcontrol.apiserver.k8s.io/v1 objects to apply or remove, and
// kube-apiserver flags for control planes apfbench starts itself. As for scenarios, the zod
// schemas are the single source of truth; the server's own validation runs too, as a dry-run
// before anything is changed (see apply.ts), so the rules here are the ones worth a location.
import { z } from 'zod';
import { documentSchema } from '../scenario/fields.js';
import { integer, withRule } from '../validation/fields.js';

export const FLOWCONTROL_API_VERSION = 'flowcontrol.apiserver.k8s.io/v1';

/**
 * Objects the API server maintains itself and puts back whatever is changed (the APF
 * "mandatory" configuration). Same names for both kinds.
 */
export const MANDATORY_NAMES: readonly string[] = ['exempt', 'catch-all'];

/** The suggested configuration of a fresh cluster (kube-apiserver 1.29+), by kind. */
export const SUGGESTED = {
  PriorityLevelConfiguration: [
    'system',
    'node-high',
    'leader-election',
    'workload-high',
    'workload-low',
    'global-default',
  ],
  FlowSchema: [
    'system-nodes',
    'system-node-high',
    'probes',
    'system-leader-election',
    'endpoint-controller',
    'workload-leader-election',
    'kube-controller-manager',
    'kube-scheduler',
    'kube-system-service-accounts',
    'service-accounts',
    'global-default',
  ],
} as const satisfies Record<FlowControlKind, readonly string[]>;

export const FLOWCONTROL_KINDS = ['PriorityLevelConfiguration', 'FlowSchema'] as const;
export type FlowControlKind = (typeof FLOWCONTROL_KINDS)[number];

const objectName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  );

const metadataSchema = z.strictObject({
  name: objectName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const percent = integer.min(0).max(100);

const queuingSchema = withRule(
  z.strictObject({
    queues: integer.min(1).max(512).optional(),
    handSize: integer.min(1).max(8).optional(),
    queueLengthLimit: integer.min(1).optional(),
  }),
  (q, valid, report) => {
    if (valid('queues') && valid('handSize') && q.handSize !== undefined) {
      if (q.handSize > (q.queues ?? 64)) {
        report(['handSize'], `must be <= queues (${q.queues ?? '64 by default'})`);
      }
    }
  },
);

const limitResponseSchema = withRule(
  z.strictObject({
    type: z.enum(['Queue', 'Reject']),
    queuing: queuingSchema.optional(),
  }),
  (r, valid, report) => {
    if (valid('type') && r.type === 'Reject' && r.queuing !== undefined) {
      report(['queuing'], 'only allowed with type Queue');
    }
  },
);

const priorityLevelSpecSchema = withRule(
  z.strictObject({
    type: z.enum(['Limited', 'Exempt']),
    limited: z
      .strictObject({
        nominalConcurrencyShares: integer
          .min(0)
          .describe('Share of the server concurrency limit; default 30.')
          .optional(),
        lendablePercent: percent.optional(),
        borrowingLimitPercent: integer.min(0).optional(),
        limitResponse: limitResponseSchema.optional(),
      })
      .optional(),
    exempt: z
      .strictObject({
        nominalConcurrencyShares: integer.min(0).optional(),
        lendablePercent: percent.optional(),
      })
      .optional(),
  }),
  (spec, valid, report) => {
    if (!valid('type')) return;
    if (spec.type === 'Limited' && spec.exempt !== undefined) {
      report(['exempt'], 'only allowed with type Exempt');
    }
    if (spec.type === 'Exempt' && spec.limited !== undefined) {
      report(['limited'], 'only allowed with type Limited');
    }
  },
);

const nameRef = z.strictObject({ name: z.string().min(1) });

const subjectSchema = withRule(
  z.strictObject({
    kind: z.enum(['User', 'Group', 'ServiceAccount']),
    user: nameRef.optional(),
    group: nameRef.optional(),
    serviceAccount: z
      .strictObject({ namespace: z.string().min(1), name: z.string().min(1) })
      .optional(),
  }),
  (s, valid, report) => {
    if (!valid('kind')) return;
    const field = { User: 'user', Group: 'group', ServiceAccount: 'serviceAccount' } as const;
    const wanted = field[s.kind];
    if (s[wanted] === undefined) report([], `kind ${s.kind} needs ${wanted}`);
    for (const other of Object.values(field)) {
      if (other !== wanted && s[other] !== undefined) {
        report([other], `only allowed with kind ${kindOf(other)}`);
      }
    }
  },
);

function kindOf(field: 'user' | 'group' | 'serviceAccount'): string {
  return { user: 'User', group: 'Group', serviceAccount: 'ServiceAccount' }[field];
}

const words = z.array(z.string().min(1)).min(1);

const ruleSchema = z.strictObject({
  subjects: z.array(subjectSchema).min(1),
  resourceRules: z
    .array(
      z.strictObject({
        verbs: words,
        apiGroups: z.array(z.string()).min(1).describe('"" is the core group.'),
        resources: words,
        clusterScope: z.boolean().optional(),
        namespaces: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
  nonResourceRules: z.array(z.strictObject({ verbs: words, nonResourceURLs: words })).optional(),
});

const flowSchemaSpecSchema = z.strictObject({
  priorityLevelConfiguration: nameRef,
  matchingPrecedence: integer
    .min(1)
    .max(10_000)
    .describe('Lower matches first; default 1000.')
    .optional(),
  distinguisherMethod: z.strictObject({ type: z.enum(['ByUser', 'ByNamespace']) }).optional(),
  rules: z.array(ruleSchema).optional(),
});

/** `apiVersion` and `kind` may be left out; when given they must be the right ones. */
function objectSchema<K extends FlowControlKind, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({
    apiVersion: z.literal(FLOWCONTROL_API_VERSION).optional(),
    kind: z.literal(kind).optional(),
    metadata: metadataSchema,
    spec,
  });
}

const priorityLevelSchema = objectSchema('PriorityLevelConfiguration', priorityLevelSpecSchema);
const flowSchemaSchema = objectSchema('FlowSchema', flowSchemaSpecSchema);

const FLAG = /^(--)?[a-z0-9][a-z0-9-]*(=.*)?$/;

const apiserverSchema = z.strictObject({
  maxRequestsInflight: integer
    .min(1)
    .describe(
      '--max-requests-inflight; with APF, the server concurrency limit is this plus the next.',
    )
    .optional(),
  maxMutatingRequestsInflight: integer
    .min(1)
    .describe('--max-mutating-requests-inflight.')
    .optional(),
  args: z
    .array(z.string().regex(FLAG, 'must be a flag such as --key=value'))
    .describe('Other kube-apiserver flags, as --key=value.')
    .optional(),
  auditPolicy: z
    .string()
    .min(1)
    .describe(
      "Audit policy: None, Metadata, Request, RequestResponse, or a policy file (relative to this profile). Each run's log is kept beside its result.",
    )
    .optional(),
});

const removeSchema = z.strictObject({
  kind: z.enum(FLOWCONTROL_KINDS),
  name: objectName,
});

const mandatoryMessage =
  'is mandatory APF configuration: the API server puts back any change to it';

const specSchema = withRule(
  z.strictObject({
    apiserver: apiserverSchema
      .describe('Flags for control planes apfbench starts itself; refused on other clusters.')
      .optional(),
    priorityLevels: z.array(priorityLevelSchema).default([]),
    flowSchemas: z.array(flowSchemaSchema).default([]),
    remove: z
      .array(removeSchema)
      .describe('Objects to delete for the run; suggested ones come back with restore.')
      .default([]),
  }),
  (spec, valid, report) => {
    const seen: Record<FlowControlKind, Map<string, string>> = {
      PriorityLevelConfiguration: new Map(),
      FlowSchema: new Map(),
    };
    const lists = [
      ['priorityLevels', 'PriorityLevelConfiguration', spec.priorityLevels],
      ['flowSchemas', 'FlowSchema', spec.flowSchemas],
    ] as const;
    for (const [field, kind, list] of lists) {
      if (!Array.isArray(list)) continue;
      list.forEach((object, i) => {
        if (!valid(field, i, 'metadata', 'name')) return;
        const name = object.metadata.name;
        const path = [field, i, 'metadata', 'name'];
        const first = seen[kind].get(name);
        if (MANDATORY_NAMES.includes(name)) report(path, mandatoryMessage);
        else if (first !== undefined) report(path, `is already the name of spec.${first}`);
        else seen[kind].set(name, `${field}[${i}]`);
      });
    }
    if (Array.isArray(spec.remove)) {
      spec.remove.forEach((entry, i) => {
        if (!valid('remove', i)) return;
        const path = ['remove', i, 'name'];
        const applied = seen[entry.kind].get(entry.name);
        if (MANDATORY_NAMES.includes(entry.name)) report(path, mandatoryMessage);
        else if (applied !== undefined) report(path, `is also applied by spec.${applied}`);
      });
    }
    // A flow schema must not point at a level this profile removes.
    if (Array.isArray(spec.flowSchemas) && Array.isArray(spec.remove)) {
      const removed = new Set(
        spec.remove.filter((r) => r.kind === 'PriorityLevelConfiguration').map((r) => r.name),
      );
      spec.flowSchemas.forEach((fs, i) => {
        if (!valid('flowSchemas', i, 'spec', 'priorityLevelConfiguration')) return;
        const level = fs.spec.priorityLevelConfiguration.name;
        if (removed.has(level)) {
          report(
            ['flowSchemas', i, 'spec', 'priorityLevelConfiguration', 'name'],
            'names a priority level that spec.remove deletes',
          );
        }
      });
    }
  },
);

export const profileSchema = documentSchema('Profile', objectName, specSchema).meta({
  title: 'apfbench Profile',
  description:
    'An API Priority and Fairness configuration for apfbench: flowcontrol objects to apply or remove, and kube-apiserver flags.',
});

/** A profile with defaults applied. */
export type Profile = z.output<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
export type ProfileSpec = Profile['spec'];
export type PriorityLevelObject = ProfileSpec['priorityLevels'][number];
export type FlowSchemaObject = ProfileSpec['flowSchemas'][number];
export type ApiserverFlags = NonNullable<ProfileSpec['apiserver']>;
export type RemoveEntry = ProfileSpec['remove'][number];
