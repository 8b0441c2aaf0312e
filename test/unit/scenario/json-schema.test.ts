import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../../src/actors/scenario.js';

describe('schema/scenario.schema.json', () => {
  it('is what the zod schema generates', () => {
    // Compared as data, so that formatting the file (prettier) does not matter.
    const committed: unknown = JSON.parse(readFileSync('schema/scenario.schema.json', 'utf8'));
    expect(
      committed,
      'schema/scenario.schema.json is stale; regenerate it with: npx tsx scripts/gen-schema.ts',
    ).toEqual(scenarioJsonSchema());
  });

  it('describes the input side: units as written, not converted', () => {
    const schema = JSON.stringify(scenarioJsonSchema());
    expect(schema).toContain('"additionalProperties":false');
    expect(schema).toContain('"default":"0s"');
  });
});
