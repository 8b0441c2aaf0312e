// Regenerates docs/errors.md from src/error-codes.ts: npm run gen:errors-doc
import { writeFile } from 'node:fs/promises';
import { errorsDoc } from './errors-doc.js';

const target = new URL('../docs/errors.md', import.meta.url);
await writeFile(target, errorsDoc());
console.log(`wrote ${target.pathname}`);
