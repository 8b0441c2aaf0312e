import { parseScenario, type Scenario } from '../../src/actors/scenario.js';

/** Parses scenario YAML written inline in a test, failing loudly on any problem. */
export function scenarioFromYaml(yaml: string): Scenario {
  const parsed = parseScenario(yaml, 'inline.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return parsed.scenario;
}
