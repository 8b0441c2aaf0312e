// Regenerates schema/scenario.schema.json and schema/profile.schema.json from the zod schemas:
// npx tsx scripts/gen-schema.ts
import { writeFile } from 'node:fs/promises';
import { profileJsonSchema } from '../src/profile/json-schema.js';
import { scenarioJsonSchema } from '../src/scenario/json-schema.js';

for (const [name, schema] of [
  ['scenario', scenarioJsonSchema()],
  ['profile', profileJsonSchema()],
] as const) {
  const target = new URL(`../schema/${name}.schema.json`, import.meta.url);
  await writeFile(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
