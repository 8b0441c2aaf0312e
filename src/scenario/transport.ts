// The `transport` block, at spec level and per actor group: how the actors' requests and watches
// reach the API server. Per field, a group's value wins over the spec's, which wins over the
// default of the group's type (`resolveTransport`).
import { z } from 'zod';
import { integer } from '../validation/fields.js';

export const PROTOCOLS = ['h2', 'http1'] as const;
export const CONNECTION_MODES = ['per-actor', 'shared'] as const;

export type TransportProtocol = (typeof PROTOCOLS)[number];
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

export const transportSchema = z
  .strictObject({
    protocol: z
      .enum(PROTOCOLS)
      .describe(
        'h2: HTTP/2 with requests and watches as streams of one connection, as client-go; ' +
          'http1: HTTP/1.1, one request per connection at a time and a connection per watch. Default h2.',
      )
      .optional(),
    connection: z
      .enum(CONNECTION_MODES)
      .describe(
        "per-actor: each instance has its own connection(s), as real components do (the default for kubelet, controller and scheduler); shared: a worker's instances share its connections, the cheap mode (the default for tenant and pod-churn).",
      )
      .optional(),
    maxStreamsPerConnection: integer
      .min(1)
      .max(1000)
      .describe(
        "h2: the client's cap on streams per connection; the server's SETTINGS_MAX_CONCURRENT_STREAMS applies too (kube-apiserver: 100). Past it another connection opens. Default 100.",
      )
      .optional(),
  })
  .describe('How requests and watches reach the API server; a group overrides the spec per field.');

export type TransportInput = z.output<typeof transportSchema>;

/** A group's transport with every field decided. */
export interface ResolvedTransport {
  readonly protocol: TransportProtocol;
  readonly connection: ConnectionMode;
  readonly maxStreamsPerConnection: number;
}

/** Actor types that are one process each in a real cluster, each with its own connection. */
const PER_ACTOR_TYPES: ReadonlySet<string> = new Set(['kubelet', 'controller', 'scheduler']);

/** Per field: the group's, else the spec's, else the default (h2; per-actor by type; 100). */
export function resolveTransport(
  group: { readonly type: string; readonly transport?: TransportInput | undefined },
  spec: TransportInput | undefined,
): ResolvedTransport {
  const own = group.transport;
  return {
    protocol: own?.protocol ?? spec?.protocol ?? 'h2',
    connection:
      own?.connection ??
      spec?.connection ??
      (PER_ACTOR_TYPES.has(group.type) ? 'per-actor' : 'shared'),
    maxStreamsPerConnection: own?.maxStreamsPerConnection ?? spec?.maxStreamsPerConnection ?? 100,
  };
}
