/**
 * The coordinator's side of the agent protocol (proto/apfbench/agent/v1/agent.proto): a gRPC
 * server that admits agents, measures their clocks, and hands each one its session. It knows
 * nothing of runs: runScenario drives the sessions through its worker handles.
 *
 * Admission: an agent must present the shared secret (when there is one: with mutual TLS the
 * handshake has already checked its certificate), speak PROTOCOL_VERSION and claim an index
 * in [0, agents) that no admitted agent holds. Otherwise it gets a Refusal naming why and its
 * stream ends; the agents already admitted never hear of it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ApfbenchError } from '../errors.js';
import { bestClockSample, clockSample, type ClockSample } from '../timing/clock-sync.js';
import {
  PROTOCOL_VERSION,
  coordinatorService,
  type AgentMessage,
  type CoordinatorMessage,
  type Outgoing,
  type WireAssignment,
  type WireHello,
} from '../wire/agent-wire.js';
import { assertListenAllowed, parseHostPort } from './listen.js';
import type { CoordinatorTls } from './tls.js';

type Call = ServerDuplexStream<AgentMessage, Outgoing<CoordinatorMessage>>;

/** Clock probes per agent at hello; the one with the smallest RTT is kept. */
export const CLOCK_PROBES = 8;

export const nowEpochMs = () => performance.timeOrigin + performance.now();

export interface AgentServerOptions {
  /** HOST:PORT to listen on; loopback unless `allowRemote`. Port 0 picks a free one. */
  readonly listen: string;
  readonly allowRemote?: boolean;
  /** The shared secret every agent must present; optional with mutual TLS only. */
  readonly token?: string | undefined;
  /** Serve TLS; with its `ca`, mutual TLS (agents show a client certificate that CA signed). */
  readonly tls?: CoordinatorTls | undefined;
  /** How many agents the run takes: indexes 0 … agents − 1. */
  readonly agents: number;
  /** Each refusal, as said to the agent (for the coordinator's log). */
  readonly onRefusal?: (line: string) => void;
}

export type SessionEvent =
  | Extract<AgentMessage, { body: 'interval' | 'final' | 'failure' | 'unauthorized' }>
  | { readonly body: 'lost'; readonly message: string };

/**
 * One admitted agent, for as many runs as the command makes (one for `run`, one per profile for
 * `compare`): each run assigns, starts and hears the events. Events arrive in order; `lost` is
 * the last if the stream broke first.
 */
export class AgentSession {
  private listener: ((e: SessionEvent) => void) | undefined;
  private readonly backlog: SessionEvent[] = [];
  private readyWaiter:
    { resolve: (workers: number) => void; reject: (e: Error) => void } | undefined;
  ended = false;

  constructor(
    readonly hello: WireHello,
    readonly clock: ClockSample,
    private readonly call: Call,
  ) {}

  get index(): number {
    return this.hello.index;
  }

  /** Sends the assignment; resolves with the agent's worker count once it is Ready. */
  assign(assignment: WireAssignment): Promise<number> {
    return new Promise((resolve, reject) => {
      this.readyWaiter = { resolve, reject };
      this.write({ assignment });
    });
  }

  start(startAtEpochMs: number): void {
    this.write({ start: { startAtEpochMs, offsetMs: this.clock.offsetMs } });
  }

  stop(): void {
    this.write({ stop: {} });
  }

  /** A refreshable credential's new token, for the agent's workers. */
  token(credential: string, token: string): void {
    this.write({ token: { credential, token } });
  }

  /** Ends the stream (the agent ends on it too, if still running). */
  close(): void {
    if (!this.ended) this.call.end();
    this.ended = true;
  }

  /** Every event from now on, and those that came before a listener was set. */
  onEvent(listener: (e: SessionEvent) => void): void {
    this.listener = listener;
    for (const e of this.backlog.splice(0)) listener(e);
  }

  /** @internal from the server's stream handler. */
  receive(m: AgentMessage): void {
    if (m.body === 'ready') {
      this.readyWaiter?.resolve(m.ready.workers);
      this.readyWaiter = undefined;
    } else if (
      m.body === 'interval' ||
      m.body === 'final' ||
      m.body === 'failure' ||
      m.body === 'unauthorized'
    ) {
      this.emit(m);
    }
  }

  /** @internal the stream ended or failed. */
  lose(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.readyWaiter?.reject(
      new ApfbenchError('APFBENCH_AGENT_LOST', `agent ${this.index}: ${message}`),
    );
    this.readyWaiter = undefined;
    this.emit({ body: 'lost', message });
  }

  private emit(e: SessionEvent): void {
    if (this.listener === undefined) this.backlog.push(e);
    else this.listener(e);
  }

  private write(m: Outgoing<CoordinatorMessage>): void {
    if (!this.ended) this.call.write(m);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Listens for agents; `waitForAgents` returns once all `agents` indexes are admitted. A session
 * whose stream ends leaves its index free, so that before a later run (`compare`'s next profile)
 * an agent restarted with that index can join again; a run already under way keeps the lost
 * session and reports it lost.
 */
export class AgentServer {
  private readonly sessions = new Map<number, AgentSession>();
  private readonly pending = new Set<number>();
  private onJoin = () => {};
  private readonly tokenDigest: Buffer | undefined;

  private constructor(
    private readonly server: Server,
    private readonly opts: AgentServerOptions,
    /** The bound HOST:PORT (the real port when 0 was asked for). */
    readonly address: string,
  ) {
    this.tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  }

  static async listen(opts: AgentServerOptions): Promise<AgentServer> {
    const { host, port } = parseHostPort(opts.listen, '--agent-listen');
    assertListenAllowed(host, opts.allowRemote ?? false);
    if ((opts.token === undefined || opts.token === '') && opts.tls?.ca === undefined) {
      throw new ApfbenchError(
        'APFBENCH_BAD_FLAG',
        'the agent channel carries the load identities’ tokens: give the agents’ shared secret (--agent-token-file FILE) or mutual TLS (--agent-tls-cert, --agent-tls-key and --agent-ca)',
      );
    }
    const server = new Server();
    const bindHost = host.includes(':') ? `[${host}]` : host;
    const tls = opts.tls;
    const credentials =
      tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(
            tls.ca === undefined ? null : Buffer.from(tls.ca),
            [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
            tls.ca !== undefined,
          );
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${bindHost}:${port}`, credentials, (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    ).catch((cause: unknown) => {
      throw new ApfbenchError(
        'APFBENCH_PORT_IN_USE',
        `cannot listen for agents on ${opts.listen}: ${(cause as Error).message}`,
        { cause },
      );
    });
    const self = new AgentServer(server, opts, `${bindHost}:${bound}`);
    server.addService(coordinatorService().service, {
      session: (call: Call) => self.accept(call),
    } satisfies UntypedServiceImplementation);
    return self;
  }

  /** How many agents a run takes. */
  get agents(): number {
    return this.opts.agents;
  }

  /** Indexes admitted so far (and not lost since). */
  joined(): number[] {
    return [...this.sessions.keys()].sort((a, b) => a - b);
  }

  /**
   * Every agent's session, by index, once all have joined. Throws APFBENCH_AGENTS_MISSING naming
   * the indexes still missing when `timeoutMs` passes, or when `signal` aborts.
   */
  async waitForAgents(timeoutMs: number, signal?: AbortSignal): Promise<AgentSession[]> {
    const all = () => this.sessions.size === this.opts.agents;
    if (!all()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done);
        this.onJoin = () => all() && done();
      });
      this.onJoin = () => {};
    }
    if (!all()) {
      const missing = Array.from({ length: this.opts.agents }, (_, i) => i).filter(
        (i) => !this.sessions.has(i),
      );
      throw new ApfbenchError(
        'APFBENCH_AGENTS_MISSING',
        `${missing.length} of ${this.opts.agents} agents did not join ${signal?.aborted === true ? 'before the interrupt' : `within ${timeoutMs / 1000} s`}: index ${missing.join(', ')}`,
        {
          hint: `start them with: apfbench agent --coordinator ${this.address} --index N ${this.opts.token === undefined ? '--agent-ca FILE --agent-tls-cert FILE --agent-tls-key FILE' : '--agent-token-file FILE'}`,
        },
      );
    }
    return this.joined().map((i) => this.sessions.get(i)!);
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) s.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  private refusal(hello: WireHello): string | undefined {
    const who = `agent ${hello.index} (${hello.host || 'unknown host'})`;
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      return `${who}: protocol version ${hello.protocolVersion}, but this coordinator speaks ${PROTOCOL_VERSION}; run the same apfbench version on both sides`;
    }
    if (this.tokenDigest !== undefined && !timingSafeEqual(digest(hello.token), this.tokenDigest)) {
      return `${who}: wrong agent token`;
    }
    if (hello.index >= this.opts.agents) {
      return `${who}: index ${hello.index} is out of range; this run takes indexes 0 to ${this.opts.agents - 1}`;
    }
    if (this.sessions.has(hello.index) || this.pending.has(hello.index)) {
      return `${who}: index ${hello.index} is already taken by another agent`;
    }
    return undefined;
  }

  private accept(call: Call): void {
    let session: AgentSession | undefined;
    const probes: ClockSample[] = [];
    let hello: WireHello | undefined;
    const probe = () => call.write({ clockProbe: { coordinatorSendMs: nowEpochMs() } });
    call.on('data', (m: AgentMessage) => {
      if (session !== undefined) return session.receive(m);
      if (m.body === 'hello' && hello === undefined) {
        const why = this.refusal(m.hello);
        if (why !== undefined) {
          this.opts.onRefusal?.(why);
          call.write({ refusal: { code: 'APFBENCH_AGENT_REFUSED', message: why } });
          call.end();
          return;
        }
        hello = m.hello;
        this.pending.add(hello.index);
        probe();
      } else if (m.body === 'clockReply' && hello !== undefined) {
        const r = m.clockReply;
        probes.push(
          clockSample({
            t0: r.coordinatorSendMs,
            t1: r.agentReceiveMs,
            t2: r.agentSendMs,
            t3: nowEpochMs(),
          }),
        );
        if (probes.length < CLOCK_PROBES) return probe();
        this.pending.delete(hello.index);
        session = new AgentSession(hello, bestClockSample(probes)!, call);
        this.sessions.set(hello.index, session);
        this.onJoin();
      }
    });
    const lost = (why: string) => {
      if (hello !== undefined) this.pending.delete(hello.index);
      if (session === undefined) return;
      session.lose(why);
      // Its index is free again: a restarted agent may join for the next run (`compare`).
      if (this.sessions.get(session.index) === session) this.sessions.delete(session.index);
    };
    call.on('error', (err) => lost(`stream failed: ${err.message}`));
    call.on('end', () => {
      lost('its stream ended (the agent exited or was killed)');
      call.end();
    });
    call.on('cancelled', () => lost('the agent disconnected'));
  }
}
