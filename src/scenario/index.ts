export {
  loadScenarioFile,
  parseScenario,
  ScenarioError,
  type ParseScenarioResult,
} from './load.js';
export type { Overrides } from './overrides.js';
export { scenarioJsonSchema } from './json-schema.js';
export {
  API_VERSION,
  type ActorGroup,
  type Fixture,
  type MixEntry,
  type RetryPolicy,
  type Scenario,
  type ScenarioInput,
  type ScenarioSpec,
  type Stage,
  type TenantActorGroup,
  type KubeletActorGroup,
  type ControllerActorGroup,
  type SchedulerActorGroup,
  type PodChurnActorGroup,
  type Verb,
} from './schema.js';
export { NODE_USER_PREFIX, nodeNameOf } from './actors/kubelet.js';
export {
  CONNECTION_MODES,
  PROTOCOLS,
  resolveTransport,
  type ConnectionMode,
  type ResolvedTransport,
  type TransportProtocol,
} from './transport.js';
