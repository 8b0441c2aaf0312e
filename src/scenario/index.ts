// The scenario file format for any set of actor types. The scenario of the registered types, its
// `Scenario` and `ActorGroup` types and the functions that read it are in src/actors/scenario.ts.
export {
  scenarioFiles,
  ScenarioError,
  type ParseScenarioResult,
  type ScenarioFiles,
} from './load.js';
export type { Overrides } from './overrides.js';
export { scenarioJsonSchemaOf } from './json-schema.js';
export {
  API_VERSION,
  namespacesOf,
  scenarioSchemaOf,
  type ActorGroupBase,
  type ActorGroupSchema,
  type Fault,
  type FaultKind,
  type Fixture,
  type RetryPolicy,
  type ScenarioOf,
  type ScenarioSchema,
  type Stage,
  type Webhook,
  type WebhookRule,
} from './schema.js';
export {
  AUTH_MODES,
  CONNECTION_MODES,
  PROTOCOLS,
  resolveTransport,
  transportSchema,
  type AuthMode,
  type ConnectionMode,
  type ResolvedTransport,
  type TransportInput,
  type TransportProtocol,
} from './transport.js';
