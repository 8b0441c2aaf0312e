import type { ControllerActorGroup } from './schema.js';

const MS_PER_S = 1000;

/** Where instance `index` of a controller group sits: its object set and its role there. */
export interface ControllerPlacement {
  readonly set: number;
  /** Instances in this set: the watchers every write in it should reach. */
  readonly setSize: number;
  readonly writer: boolean;
  /** The first instance of a set creates its objects. */
  readonly creator: boolean;
  /** Index of this instance among the writers of its set. */
  readonly writerIndex: number;
}

export function controllerPlacement(
  group: ControllerActorGroup,
  index: number,
): ControllerPlacement {
  const set = Math.floor(index / group.watchersPerSet);
  const position = index % group.watchersPerSet;
  return {
    set,
    setSize: Math.min(group.watchersPerSet, group.count - set * group.watchersPerSet),
    writer: position < group.writersPerObject,
    creator: position === 0,
    writerIndex: position,
  };
}

/** Object sets of a group. */
export function controllerSets(group: ControllerActorGroup): number {
  return Math.ceil(group.count / group.watchersPerSet);
}

/** Reconciles the group is expected to make: for sizing the write ledger. */
export function controllerExpectedWrites(group: ControllerActorGroup, durationMs: number): number {
  let writers = 0;
  for (let s = 0; s < controllerSets(group); s++) {
    writers += Math.min(
      group.writersPerObject,
      controllerPlacement(group, s * group.watchersPerSet).setSize,
    );
  }
  return (writers * group.rate * durationMs) / MS_PER_S;
}
