import { performance } from 'node:perf_hooks';
import type { KubeObject, KubeResponse } from '../../kube/index.js';
import { WriteLedger } from '../../metrics/write-ledger.js';
import type { ControllerActorGroup } from './schema.js';
import type { ActorContext, ActorInstance } from '../actor.js';
import { ledgerCounterBase, ledgerCounterSlots } from '../ledger-counters.js';
import { sendRecorded } from '../send.js';
import { controllerPlacement, type ControllerPlacement } from './placement.js';

/** Label with the controller group and object set of each object, for the informers' selector. */
export const GROUP_LABEL = 'apfbench.dev/group';
export const SET_LABEL = 'apfbench.dev/set';

/** What the parts of one controller instance share; fixed once the instance is built. */
export interface ControllerContext {
  readonly group: ControllerActorGroup;
  readonly instance: ActorInstance;
  readonly ctx: ActorContext;
  readonly place: ControllerPlacement;
  readonly ledger: WriteLedger;
  /** The group's index in the scenario: the tag of its writes in the ledger. */
  readonly tag: number;
  /** Ledger counters of this instance's object set: `created` by its creator, `synced` per watcher. */
  readonly barrier: { readonly created: number; readonly synced: number };
  readonly namespace: string;
  /** The names of this instance's object set. */
  readonly names: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly payload: string;
  /** `metric` for this instance's object set. */
  perSet(metric: string): string;
  /** Adds to a counter, overall and for this instance's object set. */
  count(metric: string, by?: number): void;
  /** One recorded request on configmaps, intended at run-relative `intendedMs`. */
  send(
    verb: string,
    intendedMs: number,
    attempt: () => Promise<KubeResponse<KubeObject>>,
  ): Promise<KubeResponse<KubeObject>>;
}

/** Epoch ms of a clock time, as the write ledger keeps them (shared by every worker). */
export function epochOf(clockMs: number): number {
  return performance.timeOrigin + clockMs;
}

/** A short tag of the run for object names, so that a run never meets an earlier run's objects. */
function runTag(runId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) h = Math.imul(h ^ runId.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

export function controllerContext(
  group: ControllerActorGroup,
  instance: ActorInstance,
  ctx: ActorContext,
): ControllerContext {
  const scenario = ctx.run.scenario;
  const place = controllerPlacement(group, instance.index);
  const base = ledgerCounterBase(scenario, group.name) + 2 * place.set;
  const setLabel = String(place.set);
  const perSet = (metric: string) => `${metric}/${setLabel}`;
  return {
    group,
    instance,
    ctx,
    place,
    ledger: ctx.ledger ?? WriteLedger.create(1024, ledgerCounterSlots(scenario)),
    tag: scenario.spec.actors.findIndex((g) => g.name === group.name),
    barrier: { created: base, synced: base + 1 },
    namespace: scenario.spec.namespace,
    names: Array.from(
      { length: group.objects },
      (_, k) => `${group.name}-${runTag(ctx.run.id)}-${place.set}-${k}`,
    ),
    labels: { [ctx.run.labelKey]: ctx.run.id, [GROUP_LABEL]: group.name, [SET_LABEL]: setLabel },
    payload: 'x'.repeat(group.objectSize),
    perSet,
    count: (metric, by = 1) => {
      ctx.collector.count(metric, by);
      ctx.collector.count(perSet(metric), by);
    },
    send: (verb, intendedMs, attempt) =>
      sendRecorded(ctx, { verb, resource: 'configmaps', intendedMs, attempt, retry: group.retry }),
  };
}
