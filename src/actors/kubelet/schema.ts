// The `kubelet` actor group: simulated nodes that register, renew their Lease, report Node status
// and watch their own pods. Defaults are the kubelet's own (KubeletConfiguration).
import { z } from 'zod';
import { authSchema, instanceCount, transportSchema } from '../../scenario/fields.js';
import { expandIdentity } from '../../scenario/identity.js';
import type { ActorGroupBase, ScenarioOf } from '../../scenario/index.js';
import { dnsLabel, duration, integer, withRule } from '../../validation/fields.js';
import { formatDuration } from '../../validation/units.js';

/** Users whose name starts with this are nodes to the Node authorizer and NodeRestriction. */
export const NODE_USER_PREFIX = 'system:node:';

/** A DNS subdomain, which a Node's name must be. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const positiveDuration = duration.pipe(z.number().gt(0, 'must be > 0'));

export const kubeletSchema = withRule(
  z.strictObject({
    name: dnsLabel,
    type: z.literal('kubelet'),
    count: instanceCount,
    transport: transportSchema.optional(),
    auth: authSchema.optional(),
    identity: z
      .string()
      .min(1)
      .describe(
        'User system:node:<node name>; {i} is the instance index. The node name is the Node and Lease name.',
      )
      .default(`${NODE_USER_PREFIX}node-{i}`),
    leaseDuration: positiveDuration
      .describe('Lease spec.leaseDurationSeconds; a gap longer than this is a missed heartbeat.')
      .prefault('40s'),
    renewInterval: positiveDuration
      .describe('Lease renew period, jittered by up to +4% as the kubelet does.')
      .prefault('10s'),
    statusUpdateFrequency: positiveDuration
      .describe('How often the kubelet computes its Node status (nodeStatusUpdateFrequency).')
      .prefault('10s'),
    statusReportInterval: positiveDuration
      .describe(
        'PATCH nodes/<name>/status at least this often even when nothing changed (nodeStatusReportFrequency).',
      )
      .prefault('5m'),
    watchPods: z
      .boolean()
      .describe('Hold one watch on the pods bound to the node (fieldSelector spec.nodeName).')
      .default(true),
    podChurn: z
      .boolean()
      .describe('Report pods bound to the node as Running through pods/<name>/status.')
      .default(false),
    maxInFlight: integer.min(1).default(8),
  }),
  (group, valid, report) => {
    if (valid('identity')) {
      if (!group.identity.startsWith(NODE_USER_PREFIX)) {
        report(['identity'], `must start with ${NODE_USER_PREFIX} (the Node authorizer's users)`);
      } else {
        const node = group.identity.slice(NODE_USER_PREFIX.length).replaceAll('{i}', '0');
        if (node.length > 253 || !DNS_SUBDOMAIN.test(node)) {
          report(
            ['identity'],
            `must name a node with a DNS subdomain after ${NODE_USER_PREFIX}: lowercase letters, digits, "-" and "."`,
          );
        } else if (valid('count') && group.count > 1 && !group.identity.includes('{i}')) {
          report(['identity'], 'must contain {i} when count > 1: every kubelet is its own node');
        }
      }
    }
    if (valid('renewInterval') && valid('leaseDuration')) {
      if (group.leaseDuration % 1000 !== 0) {
        report(['leaseDuration'], 'must be whole seconds (Lease spec.leaseDurationSeconds)');
      }
      if (group.renewInterval >= group.leaseDuration) {
        report(
          ['renewInterval'],
          `must be less than leaseDuration (${formatDuration(group.leaseDuration)}), or every gap is missed`,
        );
      }
    }
    if (
      valid('auth') &&
      valid('transport') &&
      group.auth === 'certificate' &&
      group.transport?.connection === 'shared'
    ) {
      report(
        ['auth'],
        'must be token with transport.connection: shared (a client certificate is presented per connection, and a shared one carries many users)',
      );
    }
    if (group.podChurn === true && group.watchPods === false) {
      report(['podChurn'], 'needs watchPods: true (the kubelet learns of its pods by watching)');
    }
  },
);

export type KubeletActorGroup = z.output<typeof kubeletSchema>;

/** `system:node:node-3` → `node-3`. */
export function nodeNameOf(user: string): string {
  return user.startsWith(NODE_USER_PREFIX) ? user.slice(NODE_USER_PREFIX.length) : user;
}

/** The nodes of every kubelet group of `scenario`, in scenario order: where a scheduler binds. */
export function kubeletNodes(scenario: ScenarioOf<ActorGroupBase>): string[] {
  return scenario.spec.actors.flatMap((g) =>
    g.type === 'kubelet'
      ? Array.from({ length: g.count }, (_, i) => nodeNameOf(expandIdentity(g.identity, i)))
      : [],
  );
}
