import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import { profileSchema, type Profile } from './schema.js';

export type ParseProfileResult =
  { ok: true; profile: Profile } | { ok: false; problems: Problem[] };

const HINT = locatedProblemsHint(
  'Editors can check profile files as you type with schema/profile.schema.json.',
);

/** Invalid profile input: the command layer reports it with exit code 2. */
export class ProfileError extends InvalidFileError {
  override readonly name = 'ProfileError';

  constructor(problems: readonly Problem[], hint = HINT) {
    super('APFBENCH_INVALID_PROFILE', 'profile', problems, hint);
  }
}

/** Pure: validates profile YAML `text`; `fileName` is only used in problems. */
export function parseProfile(text: string, fileName: string): ParseProfileResult {
  const result = validateYaml(profileSchema, text, fileName);
  return result.ok ? { ok: true, profile: result.value } : result;
}

/** Reads and validates a profile file; throws ProfileError listing every problem. */
export async function loadProfileFile(path: string): Promise<Profile> {
  const read = await readInputFile(path);
  if (!read.ok) throw new ProfileError(read.problems);
  const result = parseProfile(read.text, path);
  if (!result.ok) throw new ProfileError(result.problems);
  return result.profile;
}
