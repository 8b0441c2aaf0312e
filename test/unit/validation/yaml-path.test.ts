import { describe, expect, it } from 'vitest';
import { formatPath, parsePath } from '../../../src/validation/yaml-path.js';

describe('field paths', () => {
  it.each([
    ['spec', ['spec']],
    ['spec.actors[0].rate', ['spec', 'actors', 0, 'rate']],
    ['spec.actors[12].mix[3]', ['spec', 'actors', 12, 'mix', 3]],
    ['spec.fixtures[0].namePrefix', ['spec', 'fixtures', 0, 'namePrefix']],
  ])('%s ⇄ %j', (text, path) => {
    expect(parsePath(text)).toEqual(path);
    expect(formatPath(path)).toBe(text);
  });

  it('quotes keys that are not plain names', () => {
    expect(formatPath(['labels', 'app.kubernetes.io/name'])).toBe(
      'labels["app.kubernetes.io/name"]',
    );
  });

  it.each([
    '',
    '.spec',
    'spec.',
    'spec..actors',
    'spec.actors[x]',
    'spec.actors[0]rate',
    'spec actors',
  ])('rejects %j', (text) => {
    expect(parsePath(text)).toBeUndefined();
  });
});
