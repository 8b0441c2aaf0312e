import { readFileSync } from 'node:fs';

/** apfbench's own version, from package.json (one level above both src/ and dist/). */
export const toolVersion: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
