import type { ActorType } from '../../src/actors/index.js';
import type { ActorGroupResultOf, RunResult } from '../../src/result/result.js';

/** The result of group `name`, which must be of actor `type` (its sections typed by it). */
export function groupOf<T extends ActorType>(
  r: RunResult,
  name: string,
  type: T,
): ActorGroupResultOf<T> {
  const group = r.actors[name];
  const ofType = (g: typeof group): g is ActorGroupResultOf<T> => g?.type === type;
  if (!ofType(group)) throw new Error(`actors.${name} is ${group?.type ?? 'missing'}, not ${type}`);
  return group;
}
