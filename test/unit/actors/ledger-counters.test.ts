import { describe, expect, it } from 'vitest';
import { actors, definitionOf } from '../../../src/actors/index.js';
import { ledgerCounterBase, ledgerCounterSlots } from '../../../src/actors/ledger-counters.js';
import { scenarioFromYaml } from '../../support/scenario.js';

const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: slots }
spec:
  duration: 10s
  actors:
    - { name: a, type: controller, count: 5, rate: 1/s }
    - { name: t, type: tenant, count: 3, rate: 1/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }
    - { name: b, type: controller, count: 2, rate: 1/s }
`);

describe('ledger counters', () => {
  it('gives every group two counters per instance, in scenario order', () => {
    expect(ledgerCounterSlots(scenario)).toBe(20);
    expect(['a', 't', 'b'].map((g) => ledgerCounterBase(scenario, g))).toStrictEqual([0, 10, 16]);
  });

  it("names the ledger's figures as the controller's counters; tenants write none", () => {
    const [a, t] = scenario.spec.actors;
    const figures = { acknowledged: 7, expectedDeliveries: 14, lost: 2 };
    expect(definitionOf(a!).ledgerCounters?.(figures, a!)).toStrictEqual({
      'watch.lost': 2,
      'watch.acknowledged': 7,
      'watch.expectedDeliveries': 14,
    });
    expect(definitionOf(t!).ledgerCounters).toBeUndefined();
    expect('ledgerCounters' in actors.kubelet).toBe(false);
  });
});
