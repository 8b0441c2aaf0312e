import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  comparisonJsonSchema,
  runResultJsonSchema,
  sweepJsonSchema,
} from '../../../src/result/json-schema.js';

describe.each([
  ['result', runResultJsonSchema],
  ['comparison', comparisonJsonSchema],
  ['sweep', sweepJsonSchema],
])('schema/%s.schema.json', (name, generate) => {
  it('is what the zod schema generates', () => {
    // Compared as data, so that formatting the file (prettier) does not matter.
    const committed: unknown = JSON.parse(readFileSync(`schema/${name}.schema.json`, 'utf8'));
    expect(
      committed,
      `schema/${name}.schema.json is stale; regenerate it with: npx tsx scripts/gen-schema.ts`,
    ).toEqual(generate());
  });

  it('allows fields it does not name, which other apfbench versions write', () => {
    expect(JSON.stringify(generate())).not.toContain('"additionalProperties":false');
  });
});

describe('schema/result.schema.json', () => {
  it("describes each actor type's sections, told apart by the group's type", () => {
    const schema = JSON.stringify(runResultJsonSchema());
    for (const section of ['"heartbeats"', '"podStartup"', '"conflicts"', '"scheduling"']) {
      expect(schema).toContain(section);
    }
    expect(schema).toContain('"const":"pod-churn"');
  });
});
