import { describe, expect, it } from 'vitest';
import { definitionOf, RUN_LABEL, type ActorContext } from '../../../src/actors/index.js';
import { FakeClock } from '../../../src/timing/clock.js';
import { createRng } from '../../../src/timing/random.js';
import { FlowControlNames, type KubeClient } from '../../../src/kube/index.js';
import { GroupIntervalCollector } from '../../../src/metrics/timeline-collector.js';
import { scenarioFromYaml } from '../../support/scenario.js';

// A stop can come before an actor starts listening for it (Ctrl-C while its worker waits for
// the start instant): the actor must see the signal already aborted and end at once.
const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: stopped }
spec:
  duration: 60s
  actors:
    - { name: tenant, type: tenant, count: 1, rate: 10/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
    - { name: kubelets, type: kubelet, count: 1, podChurn: true }
    - { name: controllers, type: controller, count: 2, rate: 1/s, watchersPerSet: 2, writersPerObject: 1 }
    - { name: scheduler, type: scheduler, count: 1 }
    - { name: churn, type: pod-churn, count: 1, rate: 10/s, lifetime: 30s }
`);

/** A client that records every call and never answers: any request is a failure here. */
function recordingClient(identity: string, calls: string[]): KubeClient {
  return new Proxy({} as KubeClient, {
    get: (_, key) => {
      if (key === 'identity') return { name: identity };
      if (typeof key !== 'string' || key === 'then') return undefined;
      return (...args: unknown[]) => {
        const resource = (args[0] as { plural?: string } | undefined)?.plural;
        calls.push(resource === undefined ? key : `${key} ${resource}`);
        return new Promise(() => {});
      };
    },
  });
}

describe('an actor started after the run was stopped', () => {
  it.each([
    ['tenant', 0, 'tenant-0'],
    ['kubelets', 0, 'system:node:node-00000'],
    ['controllers', 0, 'controller-0'],
    ['controllers', 1, 'controller-1'],
    ['scheduler', 0, 'system:kube-scheduler'],
    ['churn', 0, 'churn-0'],
  ])(
    '%s #%d ends without sending and without waiting for the deadline',
    async (name, index, user) => {
      const group = scenario.spec.actors.find((g) => g.name === name)!;
      const clock = new FakeClock(1000);
      const calls: string[] = [];
      const stop = new AbortController();
      stop.abort();
      const ctx: ActorContext = {
        client: recordingClient(user, calls),
        names: new FlowControlNames(),
        collector: new GroupIntervalCollector(name),
        rng: createRng(1),
        clock,
        originMs: 1000,
        deadlineMs: scenario.spec.duration,
        signal: stop.signal,
        run: { id: 'stopped-20260101000000', scenario, labelKey: RUN_LABEL },
      };
      const actor = definitionOf(group).create(group, { index, count: group.count }, ctx);
      let ended = false;
      void actor.run().then(() => (ended = true));
      // Lets everything already due run; the clock stays before the deadline.
      await clock.advance(0);
      expect(calls).toEqual([]);
      expect(ended).toBe(true);
      expect(clock.pending).toBe(0);
    },
  );
});
