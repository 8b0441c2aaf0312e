import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ClusterState } from '../../src/cluster/index.js';
import { RUN_DIR_PREFIX } from '../../src/cluster/index.js';
import { flowControlState } from '../support/flowcontrol.js';
import { runCli } from '../support/cli.js';
import { useTestCluster } from '../support/cluster.js';
import { pidsMentioning } from '../support/processes.js';

/** True while `pid` exists and is not a zombie (an orphan's new parent may be slow to reap it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** The control plane directory a run made under `root` and its state.json, read synchronously. */
function runDirState(root: string): { dir: string; state: ClusterState } {
  const name = readdirSync(root).find((n) => n.startsWith(RUN_DIR_PREFIX));
  if (name === undefined) throw new Error(`no ${RUN_DIR_PREFIX}* directory in ${root}`);
  const dir = join(root, name);
  return { dir, state: JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ClusterState };
}

// Binaries from KUBEBUILDER_ASSETS are upstream's: they do not watch their owner.
describe.skipIf(process.env.KUBEBUILDER_ASSETS !== undefined)(
  'apfbench killed with SIGKILL',
  () => {
    it('leaves no control plane running and no secrets behind', async () => {
      // TMPDIR makes the CLI create its control plane directory where this test can find it.
      const tmp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-orphans-'));
      const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-orphans-out-'));
      let pid = 0;
      let victim: { dir: string; state: ClusterState } | undefined;
      let killedAt = 0;
      const res = await runCli(
        ['run', 'scenarios/tenant-smoke.yaml', '--duration', '60s', '--out', out, '--no-report'],
        {
          env: { ...process.env, TMPDIR: tmp },
          onSpawn: (p) => (pid = p),
          onOutput: (_stdout, stderr) => {
            // Once the load runs: the control plane is ready and state.json written.
            if (victim !== undefined || !/sent [1-9]\d{2,}/.test(stderr)) return;
            victim = runDirState(tmp);
            process.kill(pid, 'SIGKILL');
            killedAt = Date.now();
          },
          timeoutMs: 180_000,
        },
      );
      expect(res.signal).toBe('SIGKILL');
      expect(victim).toBeDefined();
      const { dir, state } = victim!;
      const pids = state.processes.map((p) => p.pid);
      expect(state.processes.map((p) => p.name).sort()).toEqual(['etcd', 'kube-apiserver']);

      const deadline = killedAt + 5000;
      const left = () => pids.filter(running);
      while (Date.now() < deadline && (left().length > 0 || readdirSync(tmp).length > 0))
        await sleep(100);
      expect(left()).toEqual([]);
      expect(pidsMentioning(dir).filter(running)).toEqual([]);
      // The CA key, the service-account key, tokens.csv and the admin kubeconfig went with it.
      expect(await readdir(tmp)).toEqual([]);
    });
  },
);

describe('apfbench run --profile killed with SIGKILL on a cluster from a kubeconfig', () => {
  const env = useTestCluster();

  it('said at the start where the snapshot is, and that snapshot puts the objects back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-orphans-profile-'));
    const scenario = join(dir, 'long.yaml');
    await writeFile(
      scenario,
      `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: long }
spec:
  duration: 2m
  warmup: 0s
  workers: 1
  actors:
    - name: noisy
      type: tenant
      identity: noisy-{i}
      count: 1
      rate: 50/s
      mix: [{ verb: list, resource: configmaps, weight: 1 }]
`,
    );
    const before = await flowControlState(env.admin);
    const out = join(dir, 'out');
    const snapshot = join(out, 'profile-snapshot.json');
    let pid = 0;
    let killed = false;
    const res = await runCli(
      [
        'run',
        scenario,
        '--kubeconfig',
        env.cluster.kubeconfigPath,
        '--profile',
        'profiles/isolate-tenants.yaml',
        '--out',
        out,
        '--no-report',
      ],
      {
        onSpawn: (p) => (pid = p),
        onOutput: (_stdout, stderr) => {
          if (killed || !/sent [1-9]\d{2,}/.test(stderr)) return;
          killed = true;
          process.kill(pid, 'SIGKILL');
        },
        timeoutMs: 120_000,
      },
    );
    expect(res.signal).toBe('SIGKILL');
    expect(res.stderr).toContain(
      `profile snapshot: ${snapshot} (restore with: apfbench profile restore --snapshot ${snapshot})`,
    );
    expect(existsSync(snapshot)).toBe(true);
    // Killed: nothing restored the profile.
    expect(await flowControlState(env.admin)).not.toEqual(before);

    const restore = await runCli([
      'profile',
      'restore',
      '--snapshot',
      snapshot,
      '--kubeconfig',
      env.cluster.kubeconfigPath,
    ]);
    expect(restore.code).toBe(0);
    expect(await flowControlState(env.admin)).toEqual(before);
  });
});
