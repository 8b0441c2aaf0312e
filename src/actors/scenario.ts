// The scenario file of the registered actor types: the union of their groups' schemas (each
// type's `scenario`, in the registry's order) in the scenario format of src/scenario/. Code that
// runs scenarios (engine, cli, check) reads them through this module.
import {
  scenarioFiles,
  scenarioJsonSchemaOf,
  scenarioSchemaOf,
  type ScenarioOf,
} from '../scenario/index.js';
import { actors, type ActorGroup, type ActorType } from './index.js';

type GroupSchema = (typeof actors)[ActorType]['scenario'];

/** The registered types' group schemas, in the registry's order (it has at least one). */
export const actorGroupSchemas = Object.values(actors).map((definition) => definition.scenario) as [
  GroupSchema,
  ...GroupSchema[],
];

export const scenarioSchema = scenarioSchemaOf(actorGroupSchemas);

/** A scenario with defaults applied; durations in ms, rates per second, sizes in bytes. */
export type Scenario = ScenarioOf<ActorGroup>;
export type { ActorGroup } from './index.js';

export const { parseScenario, loadScenarioFile } = scenarioFiles(scenarioSchema);

/** The JSON Schema of scenario files, for editors: schema/scenario.schema.json. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return scenarioJsonSchemaOf(scenarioSchema);
}
