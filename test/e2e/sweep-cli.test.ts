import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sweep } from '../../src/result/result.js';
import { runCli } from '../support/cli.js';
import { useTestCluster } from '../support/cluster.js';
import { flowControlState } from '../support/flowcontrol.js';

/** Levels of 3 s: one tenant LISTing ConfigMaps at the rate the sweep varies. */
const SHORT = `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: short }
spec:
  duration: 3s
  warmup: 0s
  workers: 1
  actors:
    - name: noisy
      type: tenant
      identity: noisy-{i}
      count: 1
      rate: 20/s
      mix: [{ verb: list, resource: configmaps, weight: 1 }]
`;

const VARY = 'spec.actors[noisy].rate=5/s..25/s';

describe('apfbench sweep', () => {
  let scenario: string;

  beforeAll(async () => {
    scenario = join(await mkdtemp(join(tmpdir(), 'apfbench-e2e-sweep-')), 'short.yaml');
    await writeFile(scenario, SHORT);
  });

  it('--dry-run prints the plan and the expected wall time, and runs nothing', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'apfbench-e2e-sweep-dry-')), 'out');
    const res = await runCli([
      'sweep',
      scenario,
      '--vary',
      VARY,
      '--steps',
      '3',
      '--profile',
      'profiles/isolate-tenants.yaml',
      '--stop',
      'noisy.latencyMs.p99 > 500',
      '--dry-run',
      '--out',
      out,
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')).toEqual([
      'sweep plan: short, 3 level(s) × 1 profile(s) = 3 run(s)',
      '  vary spec.actors[noisy].rate (spec.actors[0].rate): 5/s 15/s 25/s',
      '  profiles: isolate-tenants (profiles/isolate-tenants.yaml)',
      '  each level: 3s, 0 fixture object(s); 5s settle between levels; a local control plane per profile',
      '  stop a row when: noisy.latencyMs.p99 > 500',
      expect.stringMatching(
        /^expected wall time: about \d+s \(less when a stop condition ends a row early\)$/,
      ),
      '',
    ]);
    await expect(readFile(join(out, 'sweep.json'))).rejects.toThrow(/ENOENT/);
  });

  it.each([
    [
      ['--vary', 'spec.actors[nosy].rate=1..2'],
      'APFBENCH_BAD_VARY',
      'spec.actors[nosy].rate is not a field of the scenario',
    ],
    [
      ['--vary', VARY, '--stop', 'noisy.latencyMs.p98 > 1'],
      'APFBENCH_BAD_STOP',
      'has no field "p98"',
    ],
    [
      ['--vary', VARY, '--steps', '2', '--factor', '2'],
      'APFBENCH_BAD_FLAG',
      'give --steps or --factor, not both',
    ],
    [
      ['--vary', 'spec.actors[noisy].rate=-5/s..5/s'],
      'APFBENCH_INVALID_SCENARIO',
      '--set spec.actors[0].rate',
    ],
  ])('refuses %j before anything starts, exit 2', async (flags, code, message) => {
    const res = await runCli(['sweep', scenario, ...flags]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`error [${code}]`);
    expect(res.stderr).toContain(message);
    expect(res.stdout).not.toContain('sweep plan');
  });

  describe('against a cluster from a kubeconfig', () => {
    const env = useTestCluster();

    it('on Ctrl-C keeps the finished levels in a partial sweep.json, restores APF and exits 130', async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'apfbench-e2e-sweep-int-')), 'out');
      const before = await flowControlState(env.admin);
      let pid = 0;
      let interrupted = false;
      const res = await runCli(
        [
          'sweep',
          scenario,
          '--vary',
          VARY,
          '--steps',
          '3',
          '--settle',
          '2s',
          '--profile',
          'profiles/isolate-tenants.yaml',
          '--kubeconfig',
          env.cluster.kubeconfigPath,
          '--out',
          out,
          '--no-report',
        ],
        {
          processGroup: true,
          onSpawn: (p) => (pid = p),
          onOutput: (_stdout, stderr) => {
            // The first level is judged: interrupt during the settle or the second level.
            if (!interrupted && /level 1\/3: isolate-tenants rate=5\/s: ok/.test(stderr)) {
              interrupted = true;
              process.kill(-pid, 'SIGINT');
            }
          },
          timeoutMs: 120_000,
        },
      );
      expect(interrupted).toBe(true);
      expect(res.code).toBe(130);
      expect(res.stderr).toContain('finished levels are kept');
      const sweep = JSON.parse(await readFile(join(out, 'sweep.json'), 'utf8')) as Sweep;
      expect(sweep.status).toBe('partial');
      expect(sweep.reason).toBe('interrupted');
      expect(sweep.verdicts).toEqual([
        { profile: 'isolate-tenants', level: 0, broken: false, stopped: false, reasons: [] },
      ]);
      expect(sweep.runs[0]).toMatchObject({
        profile: 'isolate-tenants',
        level: 0,
        status: 'completed',
        result: 'runs/isolate-tenants/01/result.json',
      });
      // The second level, if it started, was cut short: never judged, and not completed.
      for (const run of sweep.runs.slice(1)) expect(run.status).toBe('aborted');
      await readFile(join(out, sweep.runs[0]!.result));
      expect(await flowControlState(env.admin)).toEqual(before);
      expect(sweep.knees).toEqual([
        { profile: 'isolate-tenants', row: 0, knee: null, holdsUpTo: 0 },
      ]);
    });
  });
});
