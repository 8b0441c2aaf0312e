// Regenerates schema/scenario.schema.json from the zod schema: npx tsx scripts/gen-schema.ts
import { writeFile } from 'node:fs/promises';
import { scenarioJsonSchema } from '../src/scenario/json-schema.js';

const target = new URL('../schema/scenario.schema.json', import.meta.url);
await writeFile(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
