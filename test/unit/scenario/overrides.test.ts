import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/actors/scenario.js';
import type { Overrides } from '../../../src/scenario/index.js';
import { formatProblem } from '../../../src/validation/problems.js';

const FILE = 'test/fixtures/valid/tenant-smoke.yaml';
const text = readFileSync(FILE, 'utf8');

function scenarioWith(overrides: Overrides) {
  const result = parseScenario(text, FILE, overrides);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.scenario;
}

function problemsWith(overrides: Overrides): string[] {
  const result = parseScenario(text, FILE, overrides);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('overrides', () => {
  it('--duration replaces spec.duration', () => {
    expect(scenarioWith({ duration: '1m' }).spec.duration).toBe(60_000);
  });

  it('--namespace replaces spec.namespace, and is checked like it, against the flag', () => {
    expect(scenarioWith({ namespace: 'load-test' }).spec.namespace).toBe('load-test');
    expect(problemsWith({ namespace: 'Load_Test' })).toEqual([
      '--namespace spec.namespace: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit (got "Load_Test")',
    ]);
  });

  it('--set changes values, read as YAML, in order', () => {
    const { spec } = scenarioWith({
      set: ['spec.actors[0].rate=50/s', 'spec.actors[0].count=3', 'spec.seed=7', 'spec.seed=8'],
    });
    expect(spec.actors[0]).toMatchObject({ rate: 50, count: 3 });
    expect(spec.seed).toBe(8);
  });

  it('--set may add a key the file leaves out', () => {
    expect(scenarioWith({ set: ['spec.cleanup=never'] }).spec.cleanup).toBe('never');
  });

  it('reports paths that do not exist, and malformed entries, against --set', () => {
    expect(
      problemsWith({
        set: ['spec.actors[5].rate=1', 'spec.nope.x=1', 'spec.actors.tenants.count=3', 'rate'],
      }),
    ).toEqual([
      '--set spec.actors[5].rate: spec.actors[5] does not exist in the file',
      '--set spec.nope.x: spec.nope does not exist in the file',
      '--set spec.actors.tenants.count: spec.actors.tenants does not exist in the file',
      '--set: must be path=value with a path such as spec.actors[0].rate (got rate)',
    ]);
  });

  it('reports problems in an override value against its flag, flags first', () => {
    expect(
      problemsWith({
        duration: '1x',
        set: ['spec.actors[0].rate=-5', 'spec.actors[0].colour=red'],
      }),
    ).toEqual([
      '--duration spec.duration: must be a duration such as 500ms, 30s, 2m, 1h or 1m30s (got 1x)',
      '--set spec.actors[0].rate: must be > 0 (got -5)',
      '--set spec.actors[0].colour: unknown field',
    ]);
  });

  it('refuses a --duration longer than 7 days (timers would fire at once), naming the flag', () => {
    expect(scenarioWith({ duration: '168h' }).spec.duration).toBe(7 * 24 * 3_600_000);
    expect(problemsWith({ duration: '168h1ms' })).toEqual([
      '--duration spec.duration: must be at most 168h (7 days) (got 168h1ms)',
    ]);
  });

  it('keeps problems at fields of the file with the file, naming the overridden value', () => {
    expect(problemsWith({ duration: '1s' })).toEqual([
      `${FILE}:8:11 spec.warmup: must be less than spec.duration (1s) (got 2s)`,
      `${FILE}:47:9 spec.actors[1].stages: last 15s in total, longer than spec.duration (1s)`,
    ]);
  });
});
