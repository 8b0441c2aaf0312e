// The search space of `apfbench tune`: for chosen priority levels, lists of values to try for
// their APF settings, and optionally the server's max-inflight flags; plus the pure step from a
// candidate (one value per dimension) to a ready profile. The zod schema is the single source of
// truth; schema/tune-space.schema.json is generated from it.
import { isAbsolute, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { documentSchema } from '../scenario/fields.js';
import { dnsLabel, integer } from '../validation/fields.js';
import {
  InvalidFileError,
  locatedProblemsHint,
  readInputFile,
  type Problem,
} from '../validation/problems.js';
import { validateYaml } from '../validation/validate.js';
import type { PriorityLevelObject, Profile } from './schema.js';

/** The most values one dimension may list. */
export const MAX_VALUES = 32;

const values = (min: number, max?: number) =>
  z
    .array(max === undefined ? integer.min(min) : integer.min(min).max(max))
    .min(1)
    .max(MAX_VALUES)
    .refine((xs) => new Set(xs).size === xs.length, 'must not repeat a value');

/** The settings of a priority level `tune` may vary, in the order it varies them. */
export const LEVEL_SETTINGS = [
  'nominalConcurrencyShares',
  'lendablePercent',
  'borrowingLimitPercent',
  'queues',
  'handSize',
  'queueLengthLimit',
] as const;
export type LevelSetting = (typeof LEVEL_SETTINGS)[number];

export const SERVER_SETTINGS = ['maxRequestsInflight', 'maxMutatingRequestsInflight'] as const;
export type ServerSetting = (typeof SERVER_SETTINGS)[number];

const levelSpaceSchema = z.strictObject({
  name: dnsLabel.describe('A priority level of the base profile, or a new Limited one.'),
  nominalConcurrencyShares: values(0).optional(),
  lendablePercent: values(0, 100).optional(),
  borrowingLimitPercent: values(0).optional(),
  queues: values(1, 512).optional(),
  handSize: values(1, 8).optional(),
  queueLengthLimit: values(1).optional(),
});

const spaceSpecSchema = z.strictObject({
  base: z
    .string()
    .min(1)
    .describe('The profile every candidate starts from, relative to this file; none: an empty one.')
    .optional(),
  victims: z
    .array(z.string().min(1))
    .min(1)
    .describe('Actor groups whose p99 the Pareto front shows; default: every group.')
    .optional(),
  priorityLevels: z.array(levelSpaceSchema).default([]),
  apiserver: z
    .strictObject({
      maxRequestsInflight: values(1).optional(),
      maxMutatingRequestsInflight: values(1).optional(),
    })
    .describe('Flags of the local control plane apfbench starts; refused on other clusters.')
    .optional(),
});

export const tuneSpaceSchema = documentSchema('TuneSpace', dnsLabel, spaceSpecSchema).meta({
  title: 'apfbench TuneSpace',
  description: 'The settings `apfbench tune` searches: value lists per priority level and flag.',
});

export type TuneSpace = z.output<typeof tuneSpaceSchema>;

/** The JSON Schema of space files, for editors (schema/tune-space.schema.json). */
export function tuneSpaceJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(tuneSpaceSchema, { io: 'input', target: 'draft-7' });
}

/** One thing `tune` varies and the values it may take. */
export interface Dimension {
  /** `noisy-tenants.nominalConcurrencyShares`, `apiserver.maxRequestsInflight`. */
  readonly key: string;
  readonly level?: string;
  readonly setting: LevelSetting | ServerSetting;
  readonly values: readonly number[];
}

/** A candidate: one value per dimension key. */
export type Candidate = Readonly<Record<string, number>>;

export class TuneSpaceError extends InvalidFileError {
  override readonly name = 'TuneSpaceError';

  constructor(problems: readonly Problem[]) {
    super(
      'APFBENCH_INVALID_SPACE',
      'tune space',
      problems,
      locatedProblemsHint(
        'Editors can check space files as you type with schema/tune-space.schema.json; docs/capacity.md describes the format.',
      ),
    );
  }
}

/** Pure: the dimensions of a space, in the order a coordinate search varies them. */
export function dimensionsOf(space: TuneSpace): Dimension[] {
  const dims: Dimension[] = [];
  for (const level of space.spec.priorityLevels) {
    for (const setting of LEVEL_SETTINGS) {
      const list = level[setting];
      if (list !== undefined) {
        dims.push({ key: `${level.name}.${setting}`, level: level.name, setting, values: list });
      }
    }
  }
  for (const setting of SERVER_SETTINGS) {
    const list = space.spec.apiserver?.[setting];
    if (list !== undefined) dims.push({ key: `apiserver.${setting}`, setting, values: list });
  }
  return dims;
}

/** Pure: validates a space's YAML; `file` is only used in problems. */
export function parseTuneSpace(
  text: string,
  file: string,
): { ok: true; space: TuneSpace } | { ok: false; problems: Problem[] } {
  const result = validateYaml(tuneSpaceSchema, text, file);
  if (!result.ok) return result;
  const space = result.value;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  space.spec.priorityLevels.forEach((level, i) => {
    const at = (path: string, message: string) =>
      problems.push({
        file,
        line: 0,
        column: 0,
        path: `spec.priorityLevels[${i}]${path}`,
        message,
      });
    if (seen.has(level.name)) at('.name', `${level.name} is listed twice`);
    seen.add(level.name);
    if (LEVEL_SETTINGS.every((s) => level[s] === undefined)) {
      at('', 'lists no setting to vary');
    }
    const queues = level.queues ?? [];
    const smallest = queues.length === 0 ? 64 : Math.min(...queues);
    if ((level.handSize ?? []).some((h) => h > smallest)) {
      at('.handSize', `every value must be <= the smallest queues (${smallest})`);
    }
  });
  if (dimensionsOf(space).length === 0) {
    problems.push({ file, line: 0, column: 0, path: 'spec', message: 'varies nothing' });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, space };
}

/** Reads and validates a space file; throws TuneSpaceError listing every problem. */
export async function loadTuneSpace(file: string): Promise<TuneSpace> {
  const read = await readInputFile(file);
  if (!read.ok) throw new TuneSpaceError(read.problems);
  const parsed = parseTuneSpace(read.text, file);
  if (!parsed.ok) throw new TuneSpaceError(parsed.problems);
  return parsed.space;
}

/** The base profile's path as given in a space file: relative to the space file. */
export function basePathOf(space: TuneSpace, spaceFile: string): string | undefined {
  const base = space.spec.base;
  if (base === undefined) return undefined;
  return isAbsolute(base) ? base : resolve(dirname(spaceFile), base);
}

/**
 * Pure: the base profile with a candidate's values set, renamed `name`. A priority level the
 * base does not have is added as a Limited level holding only the values set (the server fills
 * in the rest); a queuing setting makes its limit response `Queue`.
 */
export function profileOf(
  base: Profile,
  dims: readonly Dimension[],
  candidate: Candidate,
  name: string,
  description: string,
): Profile {
  const levels: PriorityLevelObject[] = structuredClone(base.spec.priorityLevels);
  let apiserver = base.spec.apiserver === undefined ? undefined : { ...base.spec.apiserver };
  for (const dim of dims) {
    const value = candidate[dim.key];
    if (value === undefined) continue;
    if (dim.level === undefined) {
      apiserver = { ...apiserver, [dim.setting]: value };
      continue;
    }
    let level = levels.find((l) => l.metadata.name === dim.level);
    if (level === undefined) {
      level = { metadata: { name: dim.level }, spec: { type: 'Limited', limited: {} } };
      levels.push(level);
    }
    const limited = (level.spec.limited ??= {});
    if (
      dim.setting === 'queues' ||
      dim.setting === 'handSize' ||
      dim.setting === 'queueLengthLimit'
    ) {
      const response = (limited.limitResponse ??= { type: 'Queue' });
      response.type = 'Queue';
      response.queuing = { ...response.queuing, [dim.setting]: value };
    } else {
      limited[dim.setting as Exclude<LevelSetting, 'queues' | 'handSize' | 'queueLengthLimit'>] =
        value;
    }
  }
  return {
    ...base,
    metadata: { ...base.metadata, name, description },
    spec: {
      ...base.spec,
      priorityLevels: levels,
      ...(apiserver === undefined ? {} : { apiserver }),
    },
  };
}
