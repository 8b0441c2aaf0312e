import { z } from 'zod';
import { profileSchema } from './schema.js';

/**
 * The JSON Schema of profile files, for editors; schema/profile.schema.json is this, regenerated
 * by `npx tsx scripts/gen-schema.ts`. Rules across fields are only checked by apfbench.
 */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(profileSchema, { io: 'input', target: 'draft-7' });
}
