// The registry of actor types. An actor type is one folder under src/actors/ whose index.ts
// exports its ActorDefinition (scenario schema, factory, result sections, plan hooks), plus one
// line in the map below. The scenario (scenario.ts) and the result format
// (src/result/run-result-schema.ts) are composed from this map; nothing else names a type.
import { z } from 'zod';
import {
  resolveTransport,
  type ResolvedTransport,
  type TransportInput,
} from '../scenario/index.js';
import type { ActorDefinition } from './actor.js';
import { controller } from './controller/index.js';
import { kubelet } from './kubelet/index.js';
import { podChurn } from './pod-churn/index.js';
import { replay } from './replay/index.js';
import { scheduler } from './scheduler/index.js';
import { tenant } from './tenant/index.js';

export * from './actor.js';
export { ledgerCounterSlots } from './ledger-counters.js';

/**
 * Every actor type, keyed by the scenario's `type`: a plain typed map, no registration side
 * effects. Its order is the order of the scenario's and the result's unions (and of their JSON
 * Schemas' alternatives). Each definition keeps its own types, so that the scenario and the
 * result format compose each type's schemas.
 */
export const actors = {
  tenant,
  kubelet,
  controller,
  scheduler,
  'pod-churn': podChurn,
  replay,
} as const;

/** The `type` of an actor group. */
export type ActorType = keyof typeof actors;

/** A group of type `T` as parsed from a scenario. */
export type ActorGroupOf<T extends ActorType> = z.output<(typeof actors)[T]['scenario']>;

/** The sections of a type that adds none to its group's result. */
export const noResultSections = z.object({});

/** The schema of the sections a group of type `T` adds to its result. */
export type ResultSectionsOf<T extends ActorType> = (typeof actors)[T] extends {
  readonly resultSections: infer S extends z.ZodObject;
}
  ? S
  : typeof noResultSections;

/** An actor group of any registered type, as parsed from a scenario. */
export type ActorGroup = { [T in ActorType]: ActorGroupOf<T> }[ActorType];

// Each entry is an ActorDefinition of the groups its scenario schema parses, under the `type`
// that schema accepts: an entry that is not, or a key that differs, fails to compile here.
type Misfit = {
  [T in ActorType]: ActorGroupOf<T>['type'] extends T
    ? (typeof actors)[T] extends ActorDefinition<ActorGroupOf<T>, ResultSectionsOf<T>>
      ? never
      : T
    : T;
}[ActorType];
const everyEntryFits: [Misfit] extends [never] ? true : Misfit = true;
void everyEntryFits;

/**
 * The definition for a group, or a group's result, typed loosely for code that handles every
 * type alike.
 */
export function definitionOf(group: { readonly type: ActorType }): ActorDefinition<ActorGroup> {
  // Sound because callers hand the definition only `group` itself, whose type is the key; no
  // generic lookup can say so, as TypeScript does not correlate the union with the map's entry.
  return actors[group.type] as unknown as ActorDefinition<ActorGroup>;
}

/** A group's transport: its block, else the spec's, else its type's defaults. */
export function transportOf(
  group: ActorGroup,
  spec: TransportInput | undefined,
): ResolvedTransport {
  return resolveTransport(group, spec, definitionOf(group).connection ?? 'shared');
}
