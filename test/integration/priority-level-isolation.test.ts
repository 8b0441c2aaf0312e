// Kubernetes' TestPriorityLevelIsolation (test/integration/apiserver/flowcontrol/
// concurrency_test.go), reproduced with apfbench: scenarios/priority-level-isolation.yaml under
// profiles/priority-level-isolation.yaml, on a local control plane started with
// --max-requests-inflight=1 --max-mutating-requests-inflight=1. An elephant (51 streams) and a
// mouse (3 streams), each in a priority level of its own with equal shares (one seat each): no
// rejections, and neither level dispatches more than twice the other — in the server's metrics
// and in apfbench's own counts, which agree.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compareProfiles } from '../../src/engine/compare.js';
import { loadProfileFile } from '../../src/profile/index.js';
import type { RunResult } from '../../src/result/result.js';
import { loadScenarioFile } from '../../src/actors/scenario.js';

const SCENARIO = 'scenarios/priority-level-isolation.yaml';
const PROFILE = 'profiles/priority-level-isolation.yaml';
/** Group → the priority level (and flow schema) the profile gives its user. */
const LEVELS = { elephant: 'noxu1', mouse: 'noxu2' } as const;

it('TestPriorityLevelIsolation: elephant and mouse in equal-share levels of one seat each are served alike, without rejections', async () => {
  const scenario = await loadScenarioFile(SCENARIO);
  expect(scenario.spec.duration).toBeLessThanOrEqual(10_000);
  expect(scenario.spec.warmup).toBe(0);
  const out = await mkdtemp(join(tmpdir(), 'apfbench-pli-'));
  const comparison = await compareProfiles(
    scenario,
    [{ file: PROFILE, profile: await loadProfileFile(PROFILE) }],
    { out, target: {} },
  );
  expect(comparison.status).toBe('completed');
  expect(comparison.profiles[0]!.apiserverArgs).toEqual([
    'max-mutating-requests-inflight=1',
    'max-requests-inflight=1',
  ]);
  const result = JSON.parse(
    await readFile(join(out, comparison.runs[0]!.result), 'utf8'),
  ) as RunResult;
  expect(result.status).toBe('completed');
  expect(result.generator.abandonedRequests).toBe(0);
  // Both groups ask for far more than one seat serves, so both drop sends at their cap: the run
  // says the intended load was not offered, per group with the time each cap allows per
  // response, and never counts the drops as the generator's saturation (whether the generator
  // kept up otherwise depends on what else the two cores run).
  expect(result.generator.capped).toBe(true);
  expect(result.generator.cappedReasons).toEqual([
    expect.stringMatching(
      /^elephant: \d+ of \d+ due sends dropped at maxInFlight 51 \(51 ÷ 2000\/s = 25\.5 ms allowed per response; service time mean /,
    ),
    expect.stringMatching(
      /^mouse: \d+ of \d+ due sends dropped at maxInFlight 3 \(3 ÷ 2000\/s = 1\.5 ms allowed per response; /,
    ),
  ]);
  expect(result.generator.reasons.filter((r) => r.includes('dropped'))).toEqual([]);
  const server = result.server!;
  expect(server, result.serverError).toBeDefined();

  const dispatched: Record<string, { server: number; client: number }> = {};
  for (const [group, level] of Object.entries(LEVELS)) {
    const requests = result.actors[group]!.requests;
    const flow = server.flowControl[level]!;
    console.log(
      `${group} (${level}): client ${JSON.stringify(requests.byPriorityLevel)} sent ${requests.sent} dropped ${requests.dropped} p99 ${requests.latencyMs.p99} ms; server dispatched ${flow.dispatched} rejected ${JSON.stringify(flow.rejected)}`,
    );
    // One seat each, as the Kubernetes test checks first: ceil(2 × 1 ÷ Σ shares), no borrowing.
    expect(flow.nominalLimitSeats).toBe(1);
    expect(flow.currentLimitSeats).toBe(1);

    // No rejections: no 429 (nor anything but 200) on the client, none in the server's level.
    expect(requests.throttled).toBe(0);
    expect(requests.errors).toBe(0);
    expect(Object.keys(requests.byCode)).toEqual(['200']);
    expect(flow.rejected).toEqual({});

    // apfbench's counts by the response's APF headers: every request in its own level and flow
    // schema. Only apfbench's requests (as noxu1 / noxu2) land in these levels, and the run has
    // no warm-up, so the server's dispatched counter must equal the client's count exactly.
    expect(requests.byPriorityLevel).toEqual({ [level]: requests.total });
    expect(requests.byFlowSchema).toEqual({ [level]: requests.total });
    expect(flow.dispatched).toBe(requests.total);
    expect(flow.flowSchemas[level]!.dispatched).toBe(requests.total);
    // Enough traffic for the comparison to mean something: both levels kept their seat busy.
    expect(requests.total).toBeGreaterThan(500);
    dispatched[level] = { server: flow.dispatched, client: requests.total };
  }
  expect(server.crossCheck).toMatchObject({ client429: 0, serverRejected: 0, agree: true });

  // The Kubernetes test's bound: neither level dispatched more than twice the other, in the
  // server's metrics and in apfbench's counts.
  for (const side of ['server', 'client'] as const) {
    const elephant = dispatched[LEVELS.elephant]![side];
    const mouse = dispatched[LEVELS.mouse]![side];
    expect(elephant).toBeLessThanOrEqual(2 * mouse);
    expect(mouse).toBeLessThanOrEqual(2 * elephant);
  }
  expect(comparison.runs[0]!.figures['server.rejected']).toBe(0);
  expect(comparison.runs[0]!.figures['all.429s']).toBe(0);
});
