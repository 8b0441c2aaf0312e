// Regenerates schema/*.schema.json (scenario, profile, result, comparison, sweep, tune-space) from the zod
// schemas: npx tsx scripts/gen-schema.ts
import { writeFile } from 'node:fs/promises';
import { profileJsonSchema } from '../src/profile/json-schema.js';
import {
  comparisonJsonSchema,
  runResultJsonSchema,
  sweepJsonSchema,
} from '../src/result/json-schema.js';
import { scenarioJsonSchema } from '../src/actors/scenario.js';
import { tuneSpaceJsonSchema } from '../src/profile/tune-space.js';

for (const [name, schema] of [
  ['scenario', scenarioJsonSchema()],
  ['profile', profileJsonSchema()],
  ['result', runResultJsonSchema()],
  ['comparison', comparisonJsonSchema()],
  ['sweep', sweepJsonSchema()],
  ['tune-space', tuneSpaceJsonSchema()],
] as const) {
  const target = new URL(`../schema/${name}.schema.json`, import.meta.url);
  await writeFile(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
