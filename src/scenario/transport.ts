// The `transport` block, at spec level and per actor group: how the actors' requests and watches
// reach the API server. Per field, a group's value wins over the spec's, which wins over the
// default of the group's type (`resolveTransport`; the actor types' definitions give theirs).
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
          'http1: HTTP/1.1, one request per connection at a time and a connection per watch. Default http1 (see the README).',
      )
      .optional(),
    connection: z
      .enum(CONNECTION_MODES)
      .describe(
        "per-actor: each instance has its own connection(s), as real components do (with h2, the default for kubelet, controller and scheduler); shared: a worker's instances share its connections, the cheap mode (the default for tenant and pod-churn, and for every type over http1).",
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

export const AUTH_MODES = ['certificate', 'token'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * How an actor type's instances authenticate, for types whose users have client certificates
 * (kubelets). A certificate is presented per TLS connection, so it needs `connection: per-actor`.
 */
export const authSchema = z
  .enum(AUTH_MODES)
  .describe(
    "certificate: the user's client certificate from the identities file (CN system:node:<name>, O system:nodes), " +
      'presented on its own connection, as real kubelets; token: its bearer token, or impersonation where there is none. ' +
      'Default: certificate when the identities file has one (a control plane apfbench started) and the connection is per-actor, else token.',
  );

/** A group's transport with every field decided. */
export interface ResolvedTransport {
  readonly protocol: TransportProtocol;
  readonly connection: ConnectionMode;
  readonly maxStreamsPerConnection: number;
}

/**
 * Per field: the group's, else the spec's, else the default: http1, `connection` shared over
 * http1 and the group's type's over h2 or with `auth: certificate` (its definition's
 * `connection` in src/actors/), 100 streams. The default stays HTTP/1.1 with a shared pool, what every figure so far was measured
 * with, until h2 per actor has passed the integration tests that measure with the defaults
 * (see the README's transport section).
 */
export function resolveTransport(
  group: { readonly transport?: TransportInput | undefined; readonly auth?: AuthMode | undefined },
  spec: TransportInput | undefined,
  typeConnection: ConnectionMode,
): ResolvedTransport {
  const own = group.transport;
  const protocol = own?.protocol ?? spec?.protocol ?? 'http1';
  // A group that asks for its certificates needs connections of its own, over http1 too.
  const ownConnections = protocol === 'h2' || group.auth === 'certificate';
  return {
    protocol,
    connection: own?.connection ?? spec?.connection ?? (ownConnections ? typeConnection : 'shared'),
    maxStreamsPerConnection: own?.maxStreamsPerConnection ?? spec?.maxStreamsPerConnection ?? 100,
  };
}
