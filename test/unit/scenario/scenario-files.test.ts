import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario, type Scenario } from '../../../src/actors/scenario.js';
import { ScenarioError } from '../../../src/scenario/index.js';
import { formatProblem } from '../../../src/validation/problems.js';

// Paths relative to the repository root, the working directory of vitest, as users type them.
const INVALID = 'test/fixtures/invalid';
const VALID = 'test/fixtures/valid/tenant-smoke.yaml';

describe('invalid scenario files', () => {
  const names = readdirSync(INVALID).filter((name) => name.endsWith('.yaml'));

  it.each(names)('%s reports exactly its .expected.txt', (name) => {
    const file = `${INVALID}/${name}`;
    const expected = readFileSync(file.replace(/\.yaml$/, '.expected.txt'), 'utf8').trimEnd();
    const result = parseScenario(readFileSync(file, 'utf8'), file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem).join('\n')).toBe(expected);
  });
});

const tenantSmoke: Scenario = {
  apiVersion: 'apfbench.dev/v1alpha1',
  kind: 'Scenario',
  metadata: {
    name: 'tenant-smoke',
    description: 'Do two steady tenants share global-default fairly?',
  },
  spec: {
    duration: 20_000,
    warmup: 2_000,
    seed: 42,
    workers: 2,
    timerResolution: 1,
    namespace: 'apfbench',
    cleanup: 'always',
    fixtures: [
      {
        kind: 'ConfigMap',
        namespace: 'apfbench',
        count: 100,
        size: 4096,
        namePrefix: 'fixture',
        labels: { tier: 'big' },
      },
      {
        kind: 'Secret',
        namespace: 'apfbench-secrets',
        count: 10,
        size: 512,
        namePrefix: 'secret',
      },
    ],
    actors: [
      {
        name: 'tenants',
        type: 'tenant',
        count: 2,
        identity: 'tenant-{i}',
        rate: 200,
        arrival: 'poisson',
        maxInFlight: 64,
        retry: { maxRetries: 3, maxBackoff: 5_000 },
        mix: [
          { verb: 'get', resource: 'configmaps', weight: 50 },
          {
            verb: 'list',
            resource: 'configmaps',
            weight: 10,
            limit: 500,
            labelSelector: 'tier=big',
          },
          { verb: 'create', resource: 'configmaps', weight: 10, size: 1024 },
        ],
      },
      {
        name: 'ramp',
        type: 'tenant',
        count: 1,
        identity: 'ramp-{i}',
        startRate: 0,
        stages: [
          { duration: 10_000, target: 0.2 },
          { duration: 5_000, target: 3 / 3600 },
        ],
        arrival: 'constant',
        maxInFlight: 32,
        mix: [{ verb: 'delete', resource: 'secrets', weight: 1 }],
      },
    ],
  },
};

describe('valid scenario files', () => {
  it('resolves tenant-smoke.yaml: units converted, defaults applied', async () => {
    expect(await loadScenarioFile(VALID)).toStrictEqual(tenantSmoke);
  });
});

describe('loadScenarioFile', () => {
  it('throws a ScenarioError with every problem, a code and a hint', async () => {
    const file = `${INVALID}/rate-and-stages.yaml`;
    const error: unknown = await loadScenarioFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    const { code, problems, hint, message } = error as ScenarioError;
    expect(code).toBe('APFBENCH_INVALID_SCENARIO');
    expect(problems.map((p) => p.path)).toEqual(['spec.actors[0].stages', 'spec.actors[1]']);
    expect(hint).not.toBe('');
    expect(message).toContain(`${file}:13:9 spec.actors[0].stages: cannot be combined with rate`);
  });

  it('reports a file that cannot be read', async () => {
    const error: unknown = await loadScenarioFile('test/fixtures/none.yaml').catch(
      (e: unknown) => e,
    );
    expect((error as ScenarioError).problems.map(formatProblem)).toEqual([
      'test/fixtures/none.yaml: cannot read the file (ENOENT)',
    ]);
  });
});
