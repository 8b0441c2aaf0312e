import { readFile } from 'node:fs/promises';
import { ApfbenchError } from '../errors.js';
import { formatProblem, type Problem } from '../scenario/problems.js';
import { validateYaml } from '../scenario/validate.js';
import { profileSchema, type Profile } from './schema.js';

export type ParseProfileResult =
  { ok: true; profile: Profile } | { ok: false; problems: Problem[] };

const HINT =
  'Each line names the file, line and column, the field and what is wrong with it. ' +
  'Editors can check profile files as you type with schema/profile.schema.json.';

/** Invalid profile input: the command layer reports it with exit code 2. */
export class ProfileError extends ApfbenchError {
  override readonly name = 'ProfileError';
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[], hint = HINT) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'APFBENCH_INVALID_PROFILE',
      `invalid profile (${count}):\n${problems.map(formatProblem).join('\n')}`,
      { kind: 'invalid-input', hint },
    );
    this.problems = problems;
  }
}

/** Pure: validates profile YAML `text`; `fileName` is only used in problems. */
export function parseProfile(text: string, fileName: string): ParseProfileResult {
  const result = validateYaml(profileSchema, text, fileName);
  return result.ok ? { ok: true, profile: result.value } : result;
}

/** Reads and validates a profile file; throws ProfileError listing every problem. */
export async function loadProfileFile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ProfileError([
      { file: path, line: 0, column: 0, path: '', message: `cannot read the file (${reason})` },
    ]);
  }
  const result = parseProfile(text, path);
  if (!result.ok) throw new ProfileError(result.problems);
  return result.profile;
}
