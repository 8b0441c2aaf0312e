import { describe, expect, it } from 'vitest';
import { joinNegativeValues } from '../../../src/cli/negative-values.js';
import { assertScenarioWorkers, durationFlag, maxWorkers } from '../../../src/cli/options.js';
import { checkServerFlag } from '../../../src/profile/index.js';
import type { Scenario } from '../../../src/actors/scenario.js';

describe('joinNegativeValues', () => {
  it.each([
    [
      ['run', 'x', '--duration', '-5s'],
      ['run', 'x', '--duration=-5s'],
    ],
    [
      ['--workers', '-3', '--quiet'],
      ['--workers=-3', '--quiet'],
    ],
    [
      ['--duration', '5s'],
      ['--duration', '5s'],
    ],
    [
      ['--quiet', '--duration=-5s'],
      ['--quiet', '--duration=-5s'],
    ],
    [
      ['--set', '-x'],
      ['--set', '-x'],
    ],
    [
      ['--', '--duration', '-5s'],
      ['--', '--duration', '-5s'],
    ],
  ])('%j → %j', (args, joined) => {
    expect(joinNegativeValues(args)).toEqual(joined);
  });
});

describe('durationFlag', () => {
  const check = durationFlag('duration');
  it.each(['30s', '1m30s', '500ms'])('takes %s', (value) => {
    expect(check(value)).toBe(value);
  });
  it.each(['-5s', '0s', '5', 'soon'])('refuses %s, naming the flag', (value) => {
    expect(() => check(value)).toThrow(
      `--duration: must be a positive duration like 30s (got ${value})`,
    );
  });
});

describe('checkServerFlag', () => {
  it.each(['max-requests-inflight=800', '--a=b=c', 'flag='])('takes %s', (value) => {
    expect(checkServerFlag(value)).toBe(value);
  });
  it.each(['novalue', '=1', '--=1'])('refuses %s', (value) => {
    expect(() => checkServerFlag(value)).toThrow(
      `--apiserver-arg: must be key=value, such as max-requests-inflight=800 (got ${value})`,
    );
  });
});

describe('workers', () => {
  it('allows 4 per CPU', () => {
    expect(maxWorkers(2)).toBe(8);
  });

  const withWorkers = (workers: number | undefined) =>
    ({ spec: workers === undefined ? {} : { workers } }) as unknown as Scenario;

  it('refuses spec.workers over the bound unless --workers replaces it', () => {
    const many = maxWorkers() + 1;
    expect(() => assertScenarioWorkers(withWorkers(many), 's.yaml', undefined)).toThrow(
      `s.yaml spec.workers: must be at most ${maxWorkers()} on this machine, 4 per CPU (got ${many})`,
    );
    expect(() => assertScenarioWorkers(withWorkers(many), 's.yaml', 1)).not.toThrow();
    expect(() =>
      assertScenarioWorkers(withWorkers(maxWorkers()), 's.yaml', undefined),
    ).not.toThrow();
    expect(() => assertScenarioWorkers(withWorkers(undefined), 's.yaml', undefined)).not.toThrow();
  });
});
