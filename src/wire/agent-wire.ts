/**
 * The agent protocol (proto/apfbench/agent/v1/agent.proto), loaded with @grpc/proto-loader, and
 * the TypeScript shape of each message as that loader hands it over (camelCase fields, 64-bit
 * integers as numbers, bytes as Buffers, every scalar present, `body` naming a oneof's field).
 * The codec is protobuf's; nothing here encodes by hand. What crosses between this shape and
 * the engine's own types (interval snapshots, generator health) is converted in snapshot.ts.
 */
import { fileURLToPath } from 'node:url';
import {
  credentials,
  loadPackageDefinition,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** Bumped when a change to the .proto would be misread by an older peer; peers must agree. */
export const PROTOCOL_VERSION = 2;

/** The .proto shipped with the package (package.json `files`), beside src/ and dist/ alike. */
export const PROTO_FILE = fileURLToPath(
  new URL('../../proto/apfbench/agent/v1/agent.proto', import.meta.url),
);

/** Decoding options: the message shapes below depend on them. */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface WireHello {
  protocolVersion: number;
  index: number;
  host: string;
  token: string;
  toolVersion: string;
}

export interface WireRefusal {
  code: string;
  message: string;
}

export interface WireClockProbe {
  coordinatorSendMs: number;
}

export interface WireClockReply {
  coordinatorSendMs: number;
  agentReceiveMs: number;
  agentSendMs: number;
}

export interface WireIdentity {
  name: string;
  token: string;
  impersonate: { user: string; groups: string[]; uid: string } | null;
  clientCert: { cert: string; key: string } | null;
  credential: string;
}

export interface WireInstance {
  group: string;
  index: number;
  count: number;
  identity: WireIdentity | null;
}

export interface WireAssignment {
  runId: string;
  labelKey: string;
  scenarioJson: string;
  targetJson: string;
  namesJson: string;
  instances: WireInstance[];
  workers: number;
  workerIndexBase: number;
  intervalMs: number;
  drainMs: number;
  serverVersion: string;
  tokens: Record<string, string>;
}

export interface WireReady {
  workers: number;
}

export interface WireStart {
  startAtEpochMs: number;
  offsetMs: number;
}

export interface WireSnapshot {
  intervalIndex: number;
  group: string;
  sent: number;
  completed: number;
  dropped: number;
  byCode: Record<string, number>;
  errors: number;
  retries: number;
  throttled: number;
  latency: Uint8Array;
  serviceTime: Uint8Array;
  scheduleLag: Uint8Array;
  clamped: number;
  byKey: Record<string, number>;
  byPriorityLevel: Record<string, number>;
  byFlowSchema: Record<string, number>;
  counters: Record<string, number>;
  measures: Record<string, Uint8Array>;
  window: string;
}

export interface WireLoopSample {
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  utilization: number;
}

export interface WireInterval {
  workerIndex: number;
  snapshots: WireSnapshot[];
  loop: WireLoopSample | null;
}

export interface WireGeneratorHealth {
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  utilization: number;
  scheduleLagP99Ms: number;
  saturated: boolean;
  reasons: string[];
}

export interface WireThreadCpu {
  runMs: number;
  waitMs: number;
}

export interface WireStall {
  ms: number;
  phase: string;
}

export interface WireProcessCost {
  measuredCpuSeconds: number;
  measuredKnown: boolean;
  runCpuSeconds: number;
  peakRssBytes: number;
}

export interface WirePoolCount {
  key: string;
  opened: number;
  peak: number;
}

export interface WireLedgerTag {
  tag: number;
  acknowledged: number;
  expectedDeliveries: number;
  coveredByRelist: number;
  lost: number;
}

export interface WireLedgerFigures {
  acknowledged: number;
  expectedDeliveries: number;
  delivered: number;
  coveredByRelist: number;
  lost: number;
  overflow: number;
  byTag: WireLedgerTag[];
}

export interface WireFinal {
  workerIndex: number;
  snapshots: WireSnapshot[];
  health: WireGeneratorHealth | null;
  abandoned: number;
  /** Unset (null) from an agent older than these fields. */
  measuredCpu: WireThreadCpu | null;
  worstStall: WireStall | null;
  agentProcess: WireProcessCost | null;
  connections: WirePoolCount[];
  /** The agent's last Final of a run only. */
  ledger: WireLedgerFigures | null;
}

export interface WireToken {
  credential: string;
  token: string;
}

export interface WireUnauthorized {
  workerIndex: number;
  credential: string;
  token: string;
}

export interface WireWorkerFailure {
  workerIndex: number;
  message: string;
}

/** Agent → coordinator; `body` names the one field set (proto-loader's `oneofs`). */
export type AgentMessage =
  | { body: 'hello'; hello: WireHello }
  | { body: 'clockReply'; clockReply: WireClockReply }
  | { body: 'ready'; ready: WireReady }
  | { body: 'interval'; interval: WireInterval }
  | { body: 'final'; final: WireFinal }
  | { body: 'failure'; failure: WireWorkerFailure }
  | { body: 'unauthorized'; unauthorized: WireUnauthorized };

/** Coordinator → agent. */
export type CoordinatorMessage =
  | { body: 'refusal'; refusal: WireRefusal }
  | { body: 'clockProbe'; clockProbe: WireClockProbe }
  | { body: 'assignment'; assignment: WireAssignment }
  | { body: 'start'; start: WireStart }
  | { body: 'stop'; stop: Record<string, never> }
  | { body: 'token'; token: WireToken };

/**
 * A message to send: only the oneof's field (the loader's `body` is an output, and a field left
 * out takes its default).
 */
export type Outgoing<M extends { body: string }> = M extends { body: infer K extends string }
  ? { [P in K]: DeepPartial<M[P & keyof M]> }
  : never;
type DeepPartial<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? DeepPartial<E>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
      : T;

let service: ServiceClientConstructor | undefined;

/** The `apfbench.agent.v1.Coordinator` service: its client constructor and `.service` definition. */
export function coordinatorService(): ServiceClientConstructor {
  if (service === undefined) {
    const root = loadPackageDefinition(loadSync(PROTO_FILE, LOADER_OPTIONS));
    const v1 = ((root.apfbench as GrpcObject).agent as GrpcObject).v1 as GrpcObject;
    service = v1.Coordinator as ServiceClientConstructor;
  }
  return service;
}

/** An agent's side of a Session stream. */
export type AgentStream = ClientDuplexStream<Outgoing<AgentMessage>, CoordinatorMessage>;

/** TLS of an agent's channel: the coordinator's CA, the agent's client certificate, a name. */
export interface ChannelTls {
  readonly ca: string;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The name the coordinator's certificate must carry, when not the host dialled. */
  readonly serverName?: string | undefined;
}

/**
 * A client of the coordinator at `address` (HOST:PORT), plaintext or with `tls`, with a typed
 * way to open its Session stream, since proto-loader's clients type their methods loosely.
 * Close the client when done.
 */
export function coordinatorClient(
  address: string,
  tls?: ChannelTls,
): {
  readonly client: Client;
  session(): AgentStream;
} {
  const creds =
    tls === undefined
      ? credentials.createInsecure()
      : credentials.createSsl(
          Buffer.from(tls.ca),
          tls.key === undefined ? null : Buffer.from(tls.key),
          tls.cert === undefined ? null : Buffer.from(tls.cert),
        );
  const options =
    tls?.serverName === undefined
      ? {}
      : {
          'grpc.ssl_target_name_override': tls.serverName,
          'grpc.default_authority': tls.serverName,
        };
  const client = new (coordinatorService())(address, creds, options);
  return { client, session: () => (client as unknown as { session(): AgentStream }).session() };
}
