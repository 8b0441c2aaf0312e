import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import { applyOverrides, type Overrides } from './overrides.js';
import type { ActorGroupBase, ScenarioOf, ScenarioSchema } from './schema.js';

const DEFAULT_HINT = locatedProblemsHint(
  'Editors can check scenario files as you type with schema/scenario.schema.json.',
);

export class ScenarioError extends InvalidFileError {
  override readonly name = 'ScenarioError';

  constructor(problems: readonly Problem[], hint = DEFAULT_HINT) {
    super('APFBENCH_INVALID_SCENARIO', 'scenario', problems, hint);
  }
}

export type ParseScenarioResult<S = ScenarioOf<ActorGroupBase>> =
  { ok: true; scenario: S } | { ok: false; problems: Problem[] };

/** Reading scenario files of one set of actor types. */
export interface ScenarioFiles<S> {
  /** Pure: validates scenario YAML `text`; `fileName` is only used in problems. */
  parseScenario(text: string, fileName: string, overrides?: Overrides): ParseScenarioResult<S>;
  /** Reads and validates a scenario file; throws ScenarioError listing every problem. */
  loadScenarioFile(path: string, overrides?: Overrides): Promise<S>;
}

/**
 * Scenario files checked against `schema` (src/actors/scenario.ts binds the registered actor
 * types' scenario: its `parseScenario` and `loadScenarioFile` are these).
 */
export function scenarioFiles<G extends ActorGroupBase>(
  schema: ScenarioSchema<G>,
): ScenarioFiles<ScenarioOf<G>> {
  const parseScenario = (text: string, fileName: string, overrides: Overrides = {}) => {
    const result = validateYaml(schema, text, fileName, (doc) => applyOverrides(doc, overrides));
    return result.ok ? { ok: true as const, scenario: result.value } : result;
  };
  return {
    parseScenario,
    async loadScenarioFile(path, overrides = {}) {
      const read = await readInputFile(path);
      if (!read.ok) throw new ScenarioError(read.problems);
      const result = parseScenario(read.text, path, overrides);
      if (!result.ok) throw new ScenarioError(result.problems);
      return result.scenario;
    },
  };
}
