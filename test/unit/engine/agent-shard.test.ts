import { describe, expect, it } from 'vitest';
import { agentOf, planShard, shardOverAgents } from '../../../src/engine/plan.js';
import { scenarioFromYaml } from '../../support/scenario.js';

const mix = 'mix: [{ verb: get, resource: configmaps, weight: 1 }]';
const scenario = (groups: string[]) =>
  scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: shard }
spec:
  duration: 10s
  actors:
${groups.map((g) => `    - ${g}`).join('\n')}
`);

const a = `{ name: a, type: tenant, count: 10, rate: 1/s, ${mix} }`;
const b = `{ name: b, type: tenant, count: 7, rate: 1/s, ${mix} }`;

describe('shardOverAgents: deterministic ownership', () => {
  it('places every instance exactly once, on the agent agentOf names', () => {
    const shards = shardOverAgents(scenario([a, b]), 3);
    expect(shards).toHaveLength(3);
    const placed = shards.flatMap((s, agent) => s.map((i) => ({ ...i, agent })));
    expect(placed).toHaveLength(17);
    expect(new Set(placed.map((i) => `${i.group}/${i.index}`)).size).toBe(17);
    // Tenants share nothing: each instance's key is its index.
    for (const i of placed) expect(i.agent).toBe(agentOf(i.group, i.index, 3));
  });

  it('gives an instance the same agent whatever the other groups are', () => {
    const alone = shardOverAgents(scenario([a]), 3);
    const withB = shardOverAgents(scenario([b, a]), 3);
    const ofA = (shards: typeof alone) =>
      shards.map((s) => s.filter((i) => i.group === 'a').map((i) => i.index));
    expect(ofA(withB)).toEqual(ofA(alone));
  });

  it('spreads each group evenly: agents differ by at most one instance of it', () => {
    const shards = shardOverAgents(scenario([a, b]), 3);
    for (const group of ['a', 'b']) {
      const sizes = shards.map((s) => s.filter((i) => i.group === group).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('places a controller group’s object set whole on one agent, sets spread over agents', () => {
    const ctrl = `{ name: c, type: controller, count: 9, watchersPerSet: 3, rate: 1/s, objects: 1 }`;
    const shards = shardOverAgents(scenario([ctrl]), 3);
    const agentOfSet = new Map<number, Set<number>>();
    shards.forEach((s, agent) => {
      for (const i of s) {
        const set = Math.floor(i.index / 3);
        agentOfSet.set(set, (agentOfSet.get(set) ?? new Set()).add(agent));
      }
    });
    expect([...agentOfSet.values()].map((agents) => agents.size)).toEqual([1, 1, 1]);
    expect(shards.map((s) => s.length)).toEqual([3, 3, 3]);
  });

  it('is the same on every call (an agent computes nothing itself: it is handed its shard)', () => {
    expect(shardOverAgents(scenario([a, b]), 4)).toEqual(shardOverAgents(scenario([a, b]), 4));
  });
});

describe('planShard: one agent’s instances over its worker threads', () => {
  it('round-robins them and sizes each pool as planRun does', () => {
    const s = scenario([a]);
    const [mine] = shardOverAgents(s, 1);
    const workers = planShard(s, mine!, 3);
    expect(workers.map((w) => w.instances.length)).toEqual([4, 3, 3]);
    expect(workers[0]!.byGroup).toEqual({ a: 4 });
    expect(workers[0]!.connections).toBeGreaterThan(0);
  });

  it('plans no idle worker', () => {
    const s = scenario([`{ name: a, type: tenant, count: 2, rate: 1/s, ${mix} }`]);
    expect(planShard(s, shardOverAgents(s, 1)[0]!, 4)).toHaveLength(2);
  });
});
