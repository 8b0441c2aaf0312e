import { describe, expect, it } from 'vitest';
import { scenarioOverridesOf } from '../../../src/cli/options.js';

describe('scenarioOverridesOf', () => {
  it.each([
    [{ duration: undefined, namespace: undefined, set: [] }, { set: [] }],
    [
      { duration: '10s', namespace: 'load', set: ['spec.actors[0].rate=50/s'] },
      { duration: '10s', namespace: 'load', set: ['spec.actors[0].rate=50/s'] },
    ],
  ])('%j → %j', (argv, overrides) => {
    expect(scenarioOverridesOf(argv)).toStrictEqual(overrides);
  });
});
