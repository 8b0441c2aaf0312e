import { expect, it } from 'vitest';
import { keepStdinDash, stdinDash } from '../../../src/cli/stdin-dash.js';

it('keeps a bare - through parsing as stdin, but not after --', () => {
  const kept = keepStdinDash(['scenario', 'from-audit', 'a.log', '-', '--out', 'x', '--', '-']);
  expect(kept.slice(2, 4).map(stdinDash)).toEqual(['a.log', '-']);
  expect(kept[3]).not.toBe('-');
  expect(kept[7]).toBe('-');
});
