// `compare noisy-neighbor --profile nodes-in-global-default --profile protect-heartbeats`,
// scaled down: under the deliberately bad profile, node heartbeats share global-default with a
// tenant hammering unpaginated LISTs and are hurt (renewals wait seconds, renew ticks are
// skipped, gaps are late); under protect-heartbeats, in a level of their own, they are not. Both
// run on the same small server (6 + 3 seats, as --apiserver-arg would give), so one control plane
// serves both runs and only the flow schemas differ. The assertions are on large effects only: this runs on 2 cores
// shared with other work.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compareProfiles } from '../../src/engine/compare.js';
import { loadProfileFile } from '../../src/profile/index.js';
import type { RunResult } from '../../src/result/result.js';
import { scenarioFromYaml } from '../support/scenario.js';
import { groupOf } from '../support/result.js';

const RENEW_S = 2;
/**
 * Under protect-heartbeats, late gaps and skipped renew ticks allowed, as a share of renewals: a
 * stall of this shared 2-core machine makes some whatever the profile (see heartbeats.test.ts);
 * losing the heartbeats' own priority level makes renewals wait behind the noisy LISTs, far more.
 */
const DISTURBED_SHARE = 0.05;

// noisy-neighbor with fewer kubelets renewing more often (so that a short run sees many
// renewals), no controllers, one quiet tenant, and a third of the fixtures: still enough
// ConfigMaps (1,000) for each unpaginated LIST to cost the maximum 10 seats.
const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: noisy-neighbor-small }
spec:
  duration: 20s
  warmup: 4s
  seed: 3
  workers: 1
  fixtures:
    - { kind: ConfigMap, count: 1000, size: 8Ki, namePrefix: big, labels: { tier: big } }
  actors:
    - name: kubelets
      type: kubelet
      count: 50
      renewInterval: ${RENEW_S}s
      leaseDuration: 10s
    - name: quiet
      type: tenant
      count: 1
      identity: quiet-{i}
      rate: 10/s
      mix:
        - { verb: get, resource: configmaps, weight: 1 }
    - name: noisy
      type: tenant
      count: 1
      identity: noisy-{i}
      rate: 10/s
      maxInFlight: 64
      retry: { maxRetries: 3, maxBackoff: 5s }
      mix:
        - { verb: list, resource: configmaps, weight: 1, labelSelector: tier=big }
`);

it('heartbeats are hurt under nodes-in-global-default and not under protect-heartbeats', async () => {
  const out = await mkdtemp(join(tmpdir(), 'apfbench-heartbeats-'));
  const profiles = await Promise.all(
    ['profiles/nodes-in-global-default.yaml', 'profiles/protect-heartbeats.yaml'].map(
      async (file) => ({ file, profile: await loadProfileFile(file) }),
    ),
  );
  const phases: string[] = [];
  const comparison = await compareProfiles(scenario, profiles, {
    out,
    // Both profiles are portable; the small server (6 + 3 seats) comes from the command line.
    target: { serverArgs: ['max-requests-inflight=6', 'max-mutating-requests-inflight=3'] },
    onPhase: (line) => phases.push(line),
  });
  expect(comparison.status).toBe('completed');
  // The same flags: one control plane for both runs.
  expect(phases.filter((p) => p.startsWith('starting a local control plane'))).toHaveLength(1);
  const [bad, good] = await Promise.all(
    comparison.runs.map(
      async (r) => JSON.parse(await readFile(join(out, r.result), 'utf8')) as RunResult,
    ),
  );
  const kubelets = (r: RunResult) => groupOf(r, 'kubelets', 'kubelet');
  const heartbeats = (r: RunResult) => kubelets(r).heartbeats;
  for (const r of [bad!, good!]) {
    const q = kubelets(r).requests;
    console.log(
      `${r.profile!.name}: kubelets p50 ${q.latencyMs.p50} ms p99 ${q.latencyMs.p99} ms 429s ${q.throttled} byPriorityLevel ${JSON.stringify(q.byPriorityLevel)} heartbeats ${JSON.stringify({ ...heartbeats(r), histogram: undefined })}`,
    );
  }

  // Where the nodes' requests went: global-default under the bad profile; the heartbeats level
  // (leases, node status) under protect-heartbeats.
  expect(Object.keys(kubelets(bad!).requests.byPriorityLevel)).toEqual(['global-default']);
  expect(kubelets(good!).requests.byPriorityLevel.heartbeats).toBeGreaterThan(0);
  expect(kubelets(good!).requests.byPriorityLevel['global-default']).toBeUndefined();

  // protect-heartbeats: no failed renewal, no missed gap, no 429, and hardly a renew tick
  // skipped or a renewal late.
  const goodBeats = heartbeats(good!);
  expect(goodBeats).toMatchObject({ failed: 0, missed: 0 });
  expect(goodBeats.renewals).toBeGreaterThan(0);
  expect(goodBeats.late + goodBeats.skipped).toBeLessThanOrEqual(
    DISTURBED_SHARE * goodBeats.renewals,
  );
  expect(kubelets(good!).requests.throttled).toBe(0);

  // nodes-in-global-default: renewals wait behind the noisy tenant's LISTs — a kubelet p99 at
  // least five times protect-heartbeats' and above a second, and heartbeats visibly disturbed
  // (renew ticks skipped while a renewal was still waiting, late or missed gaps, or 429s).
  const badBeats = heartbeats(bad!);
  const badP99 = kubelets(bad!).requests.latencyMs.p99;
  const goodP99 = kubelets(good!).requests.latencyMs.p99;
  expect(badP99).toBeGreaterThan(1000);
  expect(badP99).toBeGreaterThan(5 * goodP99);
  expect(
    badBeats.skipped + badBeats.late + badBeats.missed + kubelets(bad!).requests.throttled,
  ).toBeGreaterThan(0);
  expect(badBeats.gapMs.max).toBeGreaterThan(goodBeats.gapMs.max);
});
