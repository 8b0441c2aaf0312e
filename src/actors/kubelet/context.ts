import type { KubeResponse } from '../../kube/index.js';
import { nodeNameOf, type KubeletActorGroup } from './schema.js';
import type { Rng } from '../../timing/random.js';
import type { ActorContext, ActorInstance } from '../actor.js';
import { sendRecorded } from '../send.js';
import { CLIENT_GO_RETRY } from './timing.js';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch';

/** What the loops of one simulated node share; fixed once the node is built. */
export interface KubeletContext {
  readonly group: KubeletActorGroup;
  readonly instance: ActorInstance;
  readonly ctx: ActorContext;
  readonly nodeName: string;
  /** On every object the node creates: the run's label and its group. */
  readonly labels: Readonly<Record<string, string>>;
  /** The node's own random stream. */
  readonly rng: Rng;
  /**
   * This node's own stop, aborted by the run's stop or at the deadline: its waits and its watch
   * listen here, so that the run's shared signal carries one listener per node, not one per wait.
   */
  readonly life: AbortController;
  /** Run-relative now. */
  rel(): number;
  /** A request intended at run-relative `t` is sent unless the run stopped or `t` is past the deadline. */
  mayStart(t: number): boolean;
  /** True once the node stopped or no request may start now. */
  over(): boolean;
  /** Sleeps until run-relative `t`; false when the run ends first. */
  sleepUntil(t: number): Promise<boolean>;
  /** One recorded request; `intendedMs` is when the kubelet meant to send it (run-relative). */
  send<T>(
    verb: Verb,
    resource: string,
    intendedMs: number,
    attempt: () => Promise<KubeResponse<T>>,
  ): Promise<KubeResponse<T>>;
}

export function kubeletContext(
  group: KubeletActorGroup,
  instance: ActorInstance,
  ctx: ActorContext,
): KubeletContext {
  const { clock, originMs } = ctx;
  const life = new AbortController();
  const rel = () => clock.now() - originMs;
  const mayStart = (t: number) => !ctx.signal.aborted && t < ctx.deadlineMs;
  return {
    group,
    instance,
    ctx,
    nodeName: nodeNameOf(ctx.client.identity.name),
    labels: { [ctx.run.labelKey]: ctx.run.id, 'apfbench.dev/group': group.name },
    rng: ctx.rng.fork('kubelet'),
    life,
    rel,
    mayStart,
    over: () => life.signal.aborted || !mayStart(rel()),
    sleepUntil: async (t) => {
      if (!mayStart(t)) return false;
      await clock.sleepUntil(originMs + t, life.signal);
      return !life.signal.aborted;
    },
    send: (verb, resource, intendedMs, attempt) => {
      ctx.collector.lag(intendedMs, Math.max(0, rel() - intendedMs) * 1000);
      return sendRecorded(ctx, { verb, resource, intendedMs, attempt, retry: CLIENT_GO_RETRY });
    },
  };
}
