import {
  ConnectionCounter,
  poolKey,
  Transport,
  type Identity,
  type KubeTarget,
  type PoolCount,
} from '../kube/index.js';
import { transportOf, type ActorGroup } from '../actors/index.js';
import type { Scenario } from '../actors/scenario.js';
import { connectionsOf } from './plan.js';

/**
 * The transports of one worker's actor instances, by each group's `transport` block: one per
 * instance for `per-actor` groups (its own HTTP/2 connection, or its own HTTP/1.1 sockets), and
 * one per protocol shared by every `shared` instance of the worker. Each pool's connections are
 * counted for the result. Every transport, made now or later, sends the run's current tokens
 * (`setToken`) and reports 401s to `onUnauthorized`.
 */
export class WorkerTransports {
  private readonly all: Transport[] = [];
  private readonly shared = new Map<string, Transport>();
  private readonly counters = new Map<string, ConnectionCounter>();
  /** The current token of each refreshable credential, for transports made after it came. */
  private readonly tokens = new Map<string, string>();

  /** `sharedConnections`: the plan's connections for the worker's shared instances. */
  constructor(
    private readonly target: KubeTarget,
    private readonly spec: Scenario['spec'],
    private readonly sharedConnections: number,
    private readonly onUnauthorized?: (credential: string, token: string) => void,
  ) {}

  /** Replaces the token sent for `credential` on every transport, and on those made later. */
  setToken(credential: string, token: string): void {
    this.tokens.set(credential, token);
    for (const t of this.all) t.setToken(credential, token);
  }

  /**
   * The transport an instance of `group` sends on as `identity`. An identity with a client
   * certificate presents it on the connections of its own transport (per-actor).
   */
  for(group: ActorGroup, identity: Identity): Transport {
    const t = transportOf(group, this.spec.transport);
    const key = poolKey(group.name, t);
    let counter = this.counters.get(key);
    if (counter === undefined) this.counters.set(key, (counter = new ConnectionCounter()));
    const streams = t.maxStreamsPerConnection;
    if (t.connection === 'shared') {
      if (identity.clientCert !== undefined) {
        // authChoiceOf never gives a certificate to a shared group; the scenario refuses asking.
        throw new Error(`${group.name}: a client certificate on a shared connection`);
      }
      let transport = this.shared.get(key);
      if (transport === undefined) {
        const connections = this.sharedConnections;
        transport = this.add({
          protocol: t.protocol,
          connections: t.protocol === 'h2' ? Math.ceil(connections / streams) : connections,
          maxStreamsPerConnection: streams,
          counter,
        });
        this.shared.set(key, transport);
      }
      return transport;
    }
    const { inFlight, held } = connectionsOf(group);
    const { clientCert } = identity;
    return this.add({
      ...(clientCert === undefined ? {} : { clientCert }),
      protocol: t.protocol,
      connections: t.protocol === 'h2' ? Math.ceil((inFlight + held) / streams) : inFlight,
      maxStreamsPerConnection: streams,
      counter,
    });
  }

  /** Requests waiting for a connection or a stream, and requests on one, over every transport. */
  get stats(): { pending: number; running: number } {
    let pending = 0;
    let running = 0;
    for (const t of this.all) {
      pending += t.stats.pending;
      running += t.stats.running;
    }
    return { pending, running };
  }

  /** Each pool's connections: opened over the run and the most open at once. */
  counts(): PoolCount[] {
    return [...this.counters].map(([key, c]) => ({ key, opened: c.total, peak: c.peak }));
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((t) => t.close()));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.all.map((t) => t.destroy()));
  }

  private add(opts: ConstructorParameters<typeof Transport>[1]): Transport {
    const transport = new Transport(this.target, { ...opts, onUnauthorized: this.onUnauthorized });
    for (const [credential, token] of this.tokens) transport.setToken(credential, token);
    this.all.push(transport);
    return transport;
  }
}
