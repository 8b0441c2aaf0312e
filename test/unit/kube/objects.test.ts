import { describe, expect, it } from 'vitest';
import { jsonTemplate } from '../../../src/kube/objects.js';

describe('jsonTemplate', () => {
  const shape = (name: string) => ({ a: 1, metadata: { name, labels: { x: 'y' } }, data: [name] });

  it.each(['plain', '', 'quote " and \\ backslash', 'line\nbreak\u0001', 'ünï 🚀', '\u0000'])(
    'writes the bytes of JSON.stringify with %j filled in',
    (value) => {
      const shapeOnce = (name: string) => ({ a: 1, metadata: { name, labels: { x: 'y' } } });
      expect(jsonTemplate(shapeOnce)(value)).toBe(JSON.stringify(shapeOnce(value)));
    },
  );

  it('refuses a shape without its hole, or with it twice', () => {
    expect(() => jsonTemplate(() => ({ a: 1 }))).toThrow(/exactly once \(found 0\)/);
    expect(() => jsonTemplate(shape)).toThrow(/exactly once \(found 2\)/);
  });
});
