import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import { applyOverrides, type Overrides } from './overrides.js';
import { scenarioSchema, type Scenario } from './schema.js';

const DEFAULT_HINT = locatedProblemsHint(
  'Editors can check scenario files as you type with schema/scenario.schema.json.',
);

export class ScenarioError extends InvalidFileError {
  override readonly name = 'ScenarioError';

  constructor(problems: readonly Problem[], hint = DEFAULT_HINT) {
    super('APFBENCH_INVALID_SCENARIO', 'scenario', problems, hint);
  }
}

export type ParseScenarioResult =
  { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** Pure: validates scenario YAML `text`; `fileName` is only used in problems. */
export function parseScenario(
  text: string,
  fileName: string,
  overrides: Overrides = {},
): ParseScenarioResult {
  const result = validateYaml(scenarioSchema, text, fileName, (doc) =>
    applyOverrides(doc, overrides),
  );
  return result.ok ? { ok: true, scenario: result.value } : result;
}

/** Reads and validates a scenario file; throws ScenarioError listing every problem. */
export async function loadScenarioFile(path: string, overrides: Overrides = {}): Promise<Scenario> {
  const read = await readInputFile(path);
  if (!read.ok) throw new ScenarioError(read.problems);
  const result = parseScenario(read.text, path, overrides);
  if (!result.ok) throw new ScenarioError(result.problems);
  return result.scenario;
}
