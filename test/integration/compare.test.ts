import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareProfiles, type Comparison } from '../../src/engine/compare.js';
import { loadProfileFile, parseProfile, readFlowControl } from '../../src/profile/index.js';
import type { RunResult } from '../../src/result/result.js';
import { startTestCluster } from '../support/cluster.js';
import { scenarioFromYaml } from '../support/scenario.js';

// Four tenants LISTing 200 ConfigMaps of 4 KiB (800 KB a LIST) at 100/s each: room enough under
// the defaults (49 seats in global-default), more than the one seat and short queues of `tight`
// can take even on an idle machine (one seat serves at most ~200 such LISTs a second here).
const scenario = scenarioFromYaml(`
apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: listers }
spec:
  duration: 6s
  warmup: 0s
  workers: 1
  fixtures: [{ kind: ConfigMap, count: 200, size: 4Ki }]
  actors:
    - name: lister
      type: tenant
      identity: tenant-{i}
      count: 4
      rate: 100/s
      maxInFlight: 400
      mix: [{ verb: list, resource: configmaps, weight: 1 }]
`);

const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;

describe('compare', () => {
  it('runs a scenario under k8s-defaults and tight on local control planes and writes comparison.json', async () => {
    const out = await mkdtemp(join(tmpdir(), 'apfbench-compare-'));
    const profiles = await Promise.all(
      ['profiles/k8s-defaults.yaml', 'profiles/tight.yaml'].map(async (file) => ({
        file,
        profile: await loadProfileFile(file),
      })),
    );
    const phases: string[] = [];
    const comparison = await compareProfiles(scenario, profiles, {
      out,
      target: {},
      onPhase: (line) => phases.push(line),
    });
    expect(comparison.status).toBe('completed');
    expect(await readJson<Comparison>(join(out, 'comparison.json'))).toEqual(comparison);
    expect(comparison.order).toEqual(['k8s-defaults', 'tight']);
    expect(comparison.profiles[1]!.apiserverArgs).toEqual([
      'max-mutating-requests-inflight=3',
      'max-requests-inflight=6',
    ]);
    // The flags differ, so the second run had a control plane of its own.
    expect(phases.filter((p) => p.startsWith('starting a local control plane'))).toHaveLength(2);

    const results = await Promise.all(
      comparison.runs.map((r) => readJson<RunResult>(join(out, r.result))),
    );
    const [defaults, tight] = results;
    console.log(
      'figures:',
      JSON.stringify(
        comparison.runs.map((r) => [
          r.profile,
          r.figures['all.429s'],
          r.figures['server.rejected'],
          r.figures['lister.p99 ms'],
        ]),
      ),
    );
    expect(defaults!.profile?.name).toBe('k8s-defaults');
    expect(tight!.profile?.changes).toEqual([
      'update    PriorityLevelConfiguration global-default',
    ]);
    expect(comparison.runs[0]!.figures['all.429s']).toBe(0);
    expect(comparison.runs[1]!.figures['all.429s']).toBeGreaterThan(0);

    // Server side: the rejections are APF's, in global-default, and agree with the client's.
    const server = tight!.server!;
    expect(server.flowControl['global-default']!.nominalLimitSeats).toBe(1);
    expect(server.crossCheck.flowSchemas).toEqual(['global-default']);
    expect(server.crossCheck.client429).toBeGreaterThan(0);
    expect(server.crossCheck.agree).toBe(true);
    expect(server.series.length).toBeGreaterThanOrEqual(3);
    expect(server.dumpPriorityLevels).toContain('global-default');
    expect(tight!.fairness!.priorityLevels['global-default']!.flows).toBe(4);
    const summary = comparison.summary.figures.find((f) => f.figure === 'all.429s')!;
    expect(summary.differences.tight!.diff).toBeGreaterThan(0);
  });

  it('on a cluster it did not start: refuses flags, and leaves the flowcontrol objects as they were', async () => {
    const cluster = await startTestCluster();
    const admin = cluster.admin();
    try {
      const out = await mkdtemp(join(tmpdir(), 'apfbench-compare-'));
      const target = { cluster: { kind: 'file', file: cluster.kubeconfigPath } as const };
      const tight = {
        file: 'profiles/tight.yaml',
        profile: await loadProfileFile('profiles/tight.yaml'),
      };
      await expect(compareProfiles(scenario, [tight], { out, target })).rejects.toMatchObject({
        code: 'APFBENCH_PROFILE_NEEDS_FLAGS',
      });

      const before = await readFlowControl(admin);
      const parsed = parseProfile(
        `apiVersion: apfbench.dev/v1alpha1
kind: Profile
metadata: { name: small-global-default }
spec:
  priorityLevels:
    - metadata: { name: global-default }
      spec: { type: Limited, limited: { nominalConcurrencyShares: 1, limitResponse: { type: Reject } } }
`,
        'inline.yaml',
      );
      if (!parsed.ok) throw new Error('bad profile');
      const abort = new AbortController();
      let firstDone = false;
      const comparison = await compareProfiles(
        { ...scenario, spec: { ...scenario.spec, duration: 4000 } },
        [
          {
            file: 'profiles/k8s-defaults.yaml',
            profile: await loadProfileFile('profiles/k8s-defaults.yaml'),
          },
          { file: 'inline.yaml', profile: parsed.profile },
        ],
        {
          out,
          target,
          signal: abort.signal,
          // Ctrl-C in the middle of the second run: at its first progress tick, so that a slow
          // machine cannot let the run finish first (a timer after the first run could).
          onRun: (run) => {
            if (run.index === 0) firstDone = true;
          },
          onProgress: () => {
            if (firstDone) abort.abort();
          },
        },
      );
      expect(comparison.runs.map((r) => [r.profile, r.status])).toEqual([
        ['k8s-defaults', 'completed'],
        ['small-global-default', 'aborted'],
      ]);
      expect(comparison.status).toBe('aborted');
      const after = await readFlowControl(admin);
      const comparable = (m: typeof before) =>
        Object.fromEntries(
          [...m].map(([k, o]) => [k, { spec: o.spec, annotations: o.metadata.annotations }]),
        );
      expect(comparable(after)).toEqual(comparable(before));
    } finally {
      await admin.transport.close();
      await cluster.stop();
    }
  });
});
