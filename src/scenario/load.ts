import type { Overrides } from './overrides.js';
import { readInputFile, ScenarioError, type Problem } from './problems.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { validateYaml } from './validate.js';

export type ParseScenarioResult =
  { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** Pure: validates scenario YAML `text`; `fileName` is only used in problems. */
export function parseScenario(
  text: string,
  fileName: string,
  overrides: Overrides = {},
): ParseScenarioResult {
  const result = validateYaml(scenarioSchema, text, fileName, overrides);
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
