import { z } from 'zod';
import { CONNECTION_MODES, PROTOCOLS, type ResolvedTransport } from '../scenario/index.js';

/**
 * Connections a transport opened, for the result's client-side connection counts. Counted as
 * connections open and close, never per request; read once at the end of a run.
 */
export class ConnectionCounter {
  /** Connections opened in total (reconnects included). */
  total = 0;
  /** Open now. */
  open = 0;
  /** The most open at once. */
  peak = 0;

  opened(): void {
    this.total++;
    if (++this.open > this.peak) this.peak = this.open;
  }

  closed(): void {
    this.open--;
  }
}

/** The pool a group's instances take their connections from, in a worker. */
export function poolKey(group: string, t: ResolvedTransport): string {
  return t.connection === 'per-actor' ? `group:${group}` : `shared:${t.protocol}`;
}

/** A pool's counts from one worker, as it sends them when done. */
export interface PoolCount {
  readonly key: string;
  readonly opened: number;
  readonly peak: number;
}

export const clientConnectionsSchema = z.array(
  z.object({
    /** The groups whose instances used these connections. */
    groups: z.array(z.string()),
    protocol: z.enum(PROTOCOLS),
    /** per-actor: the groups' instances had connections of their own; shared: a worker's pool. */
    connection: z.enum(CONNECTION_MODES),
    /** h2: the client's cap on streams per connection (the server's limit applied too). */
    maxStreamsPerConnection: z.number().optional(),
    /** Connections opened over the run, reconnects included, all workers together. */
    opened: z.number(),
    /** The sum over workers of each worker's most connections open at once. */
    peakOpen: z.number(),
  }),
);
export type ClientConnections = z.infer<typeof clientConnectionsSchema>;

/**
 * The result's client-side connection counts: one entry per pool, from every worker's counts.
 * `groups`: the scenario's groups, each with its resolved transport.
 */
export function clientConnections(
  groups: readonly { readonly name: string; readonly transport: ResolvedTransport }[],
  counts: readonly PoolCount[],
): ClientConnections {
  const byKey = new Map<string, ClientConnections[number]>();
  for (const { name, transport: t } of groups) {
    const key = poolKey(name, t);
    const entry = byKey.get(key);
    if (entry !== undefined) entry.groups.push(name);
    else {
      byKey.set(key, {
        groups: [name],
        protocol: t.protocol,
        connection: t.connection,
        ...(t.protocol === 'h2' ? { maxStreamsPerConnection: t.maxStreamsPerConnection } : {}),
        opened: 0,
        peakOpen: 0,
      });
    }
  }
  for (const c of counts) {
    const entry = byKey.get(c.key);
    if (entry === undefined) continue;
    entry.opened += c.opened;
    entry.peakOpen += c.peak;
  }
  return [...byKey.values()];
}
