import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/index.js';
import type { Profile } from '../../../src/profile/index.js';
import { dimensionsOf, parseTuneSpace, profileOf } from '../../../src/profile/tune-space.js';
import { stringify } from 'yaml';

const SPACE = `apiVersion: apfbench.dev/v1alpha1
kind: TuneSpace
metadata: { name: s }
spec:
  priorityLevels:
    - name: noisy
      nominalConcurrencyShares: [5, 10]
      queueLengthLimit: [20]
  apiserver:
    maxRequestsInflight: [100, 200]
`;

const BASE: Profile = {
  apiVersion: 'apfbench.dev/v1alpha1',
  kind: 'Profile',
  metadata: { name: 'base' },
  spec: {
    priorityLevels: [
      {
        metadata: { name: 'noisy' },
        spec: {
          type: 'Limited',
          limited: {
            nominalConcurrencyShares: 1,
            limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 4 } },
          },
        },
      },
    ],
    flowSchemas: [],
    remove: [],
  },
};

describe('tune space', () => {
  it('lists the dimensions in a fixed order, levels before server flags', () => {
    const parsed = parseTuneSpace(SPACE, 's.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(dimensionsOf(parsed.space).map((d) => [d.key, d.values])).toEqual([
      ['noisy.nominalConcurrencyShares', [5, 10]],
      ['noisy.queueLengthLimit', [20]],
      ['apiserver.maxRequestsInflight', [100, 200]],
    ]);
  });

  it('reports located problems: a bad value, a repeat, a hand larger than the queues', () => {
    const text = `apiVersion: apfbench.dev/v1alpha1
kind: TuneSpace
metadata: { name: s }
spec:
  priorityLevels:
    - name: a
      lendablePercent: [0, 101]
      queues: [4, 4]
    - name: b
      queues: [2]
      handSize: [3]
    - name: c
`;
    const parsed = parseTuneSpace(text, 's.yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const byPath = parsed.problems.map((p) => [p.path, p.line]);
    expect(byPath).toContainEqual(['spec.priorityLevels[0].lendablePercent[1]', 7]);
    expect(byPath).toContainEqual(['spec.priorityLevels[0].queues', 8]);
    const rest = parseTuneSpace(
      text.replace('[0, 101]', '[0, 100]').replace('[4, 4]', '[4]'),
      's.yaml',
    );
    expect(rest.ok).toBe(false);
    if (rest.ok) return;
    expect(rest.problems.map((p) => [p.path, p.message])).toEqual([
      ['spec.priorityLevels[1].handSize', 'every value must be <= the smallest queues (2)'],
      ['spec.priorityLevels[2]', 'lists no setting to vary'],
    ]);
  });

  it('makes a candidate into a profile that validates, keeping the base settings it does not vary', () => {
    const parsed = parseTuneSpace(SPACE, 's.yaml');
    if (!parsed.ok) throw new Error('space');
    const dims = dimensionsOf(parsed.space);
    const profile = profileOf(
      BASE,
      dims,
      {
        'noisy.nominalConcurrencyShares': 10,
        'noisy.queueLengthLimit': 20,
        'apiserver.maxRequestsInflight': 200,
      },
      'tuned-x',
      'd',
    );
    expect(profile.metadata.name).toBe('tuned-x');
    expect(profile.spec.priorityLevels[0]?.spec.limited).toEqual({
      nominalConcurrencyShares: 10,
      limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 4, queueLengthLimit: 20 } },
    });
    expect(profile.spec.apiserver).toEqual({ maxRequestsInflight: 200 });
    // The base is not changed.
    expect(BASE.spec.priorityLevels[0]?.spec.limited?.nominalConcurrencyShares).toBe(1);
    expect(parseProfile(stringify(profile), 'p.yaml').ok).toBe(true);
  });

  it('adds a level the base does not have as a Limited one', () => {
    const parsed = parseTuneSpace(SPACE.replace('name: noisy', 'name: other'), 's.yaml');
    if (!parsed.ok) throw new Error('space');
    const profile = profileOf(
      BASE,
      dimensionsOf(parsed.space),
      { 'other.nominalConcurrencyShares': 5 },
      't',
      'd',
    );
    expect(profile.spec.priorityLevels.map((l) => l.metadata.name)).toEqual(['noisy', 'other']);
    expect(profile.spec.priorityLevels[1]?.spec).toEqual({
      type: 'Limited',
      limited: { nominalConcurrencyShares: 5 },
    });
  });
});
