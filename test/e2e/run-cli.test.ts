import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../src/cluster/index.js';
import type { RunResult } from '../../src/result/result.js';
import { CRASH_FAULT_ENV } from '../../src/engine/crash-fault.js';
import { renderKubeconfig, resources, type KubeClient } from '../../src/kube/index.js';
import { flowControlState } from '../support/flowcontrol.js';
import { runCli, runCliInterrupted } from '../support/cli.js';
import { startTestCluster } from '../support/cluster.js';
import { pidsMentioning, portRefused, waitForProcesses } from '../support/processes.js';

/** `text` written as `name` in a new temporary directory; returns its path. */
async function tempFile(name: string, text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'apfbench-e2e-input-')), name);
  await writeFile(file, text);
  return file;
}

/** `apfbench run scenarios/tenant-smoke.yaml` with `flags`. */
const runSmoke = (...flags: string[]) => runCli(['run', 'scenarios/tenant-smoke.yaml', ...flags]);

describe('apfbench validate', () => {
  it('exits 0 on a valid scenario', async () => {
    const res = await runCli(['validate', 'scenarios/tenant-smoke.yaml']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('valid scenario tenant-smoke');
  });

  it('exits 2 with every problem and its location', async () => {
    const res = await runCli(['validate', 'test/fixtures/invalid/many-problems.yaml']);
    expect(res.code).toBe(2);
    const expected = (await readFile('test/fixtures/invalid/many-problems.expected.txt', 'utf8'))
      .trim()
      .split('\n');
    for (const line of expected) expect(res.stderr).toContain(line);
  });

  it('exits 2 for a bad --set path', async () => {
    const res = await runCli([
      'validate',
      'scenarios/tenant-smoke.yaml',
      '--set',
      'spec.actors[3].rate=5/s',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--set spec.actors[3].rate');
  });

  it('exits 2 on a worker count that is not a whole number >= 1, naming the flag', async () => {
    const res = await runCli(['run', 'scenarios/tenant-smoke.yaml', '--workers', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--workers must be an integer from 1 to \d+ \(got 0\)/);
  });

  it('exits 2 on a --duration beyond 7 days, naming the flag, before it starts anything', async () => {
    const res = await runSmoke('--duration', '200h');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      '--duration spec.duration: must be at most 168h (7 days) (got 200h)',
    );
    expect(res.stdout + res.stderr).not.toContain('starting');
  });

  it('exits 2 on a kubeconfig it cannot use, naming the file and the field, before it starts anything', async () => {
    const kubeconfig = await tempFile(
      'config',
      `current-context: a
contexts: [{ name: a, context: { cluster: c, user: u } }]
clusters: [{ name: c, cluster: { server: foo } }]
users: [{ name: u, user: { token: t } }]
`,
    );
    const out = join(dirname(kubeconfig), 'out');
    const res = await runSmoke('--kubeconfig', kubeconfig, '--out', out);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `${kubeconfig}:3:42 clusters[0].cluster.server: must be a URL such as https://127.0.0.1:6443 (got foo)`,
    );
    expect(res.stderr).not.toContain('    at ');
    expect(await readdir(dirname(kubeconfig))).toEqual(['config']);
  });

  it('exits 2 on an --identities file it cannot read, before it sends anything', async () => {
    // Nothing listens on port 1: had the run gone on, it would have failed to connect (exit 1).
    const kubeconfig = await tempFile(
      'config',
      renderKubeconfig({ server: 'https://127.0.0.1:1', ca: 'CA', token: 't' }),
    );
    const missing = join(dirname(kubeconfig), 'nope.json');
    const res = await runSmoke('--kubeconfig', kubeconfig, '--identities', missing);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `error [APFBENCH_INVALID_IDENTITIES]: invalid identities file (1 problem):\n${missing}: cannot read the file (ENOENT)`,
    );
  });

  it('exits 2 on --identities without --kubeconfig, before it starts a control plane', async () => {
    const res = await runSmoke('--identities', 'x.json');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--identities needs --kubeconfig');
    expect(res.stdout + res.stderr).not.toContain('starting');
  });

  it('exits 2 on an --out that is a file, before it starts anything', async () => {
    const out = await tempFile('file', 'x');
    const res = await runSmoke('--out', join(out, 'sub'));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `error [APFBENCH_BAD_OUT]: --out ${join(out, 'sub')}: ${out} is not a directory`,
    );
    expect(res.stdout + res.stderr).not.toContain('starting');
  });

  it('run --check exits 2 on a budget naming a field no result has, before it starts anything', async () => {
    const budget = await tempFile(
      'budget.yaml',
      `apiVersion: apfbench.dev/v1alpha1
kind: Budget
metadata: { name: typo }
spec:
  budgets: ['tenant.latencyMs.p98 < 500']
`,
    );
    const res = await runSmoke('--check', '--budget', budget);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `error [APFBENCH_UNKNOWN_METRIC]: --check: budgets in ${budget} name what a run of this scenario does not write:\n  metric "tenant.latencyMs.p98" does not exist: actors.tenant.requests.latencyMs has no field "p98"`,
    );
    expect(res.stdout + res.stderr).not.toContain('starting');
  });

  it('on a Ctrl-C to its whole process group, as a terminal sends it, still drains, restores and stops its own control plane', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-group-tmp-'));
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-group-'));
    let pid = 0;
    let interrupted = false;
    const res = await runCli(
      [
        'run',
        'scenarios/tenant-smoke.yaml',
        '--profile',
        'profiles/isolate-tenants.yaml',
        '--duration',
        '60s',
        '--out',
        out,
        '--no-report',
      ],
      {
        env: { ...process.env, TMPDIR: tmp },
        processGroup: true,
        onSpawn: (p) => (pid = p),
        onOutput: (_stdout, stderr) => {
          if (!interrupted && /sent [1-9]\d{2,}/.test(stderr)) {
            interrupted = true;
            process.kill(-pid, 'SIGINT');
          }
        },
        timeoutMs: 180_000,
      },
    );
    expect(interrupted).toBe(true);
    expect(res.code).toBe(130);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('aborted');
    expect(result.cleanup.errors).toEqual([]);
    expect(res.stderr).toContain('restoring the flowcontrol objects');
    // The control plane it started is gone: nothing listens on its port any more.
    const port = Number(/kube-apiserver on https:\/\/127\.0\.0\.1:(\d+)/.exec(res.stderr)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await portRefused(port)).toBe(true);
    // Its directory, with the keys and tokens, is removed.
    expect(await readdir(tmp)).toEqual([]);
  });

  it('on SIGHUP (its terminal closed), with no one reading its output, still writes an aborted result.json, deletes what it created, stops its own control plane and exits 130', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-hangup-'));
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-hangup-out-'));
    let hangUp = () => {};
    let port = 0;
    const res = await runCli(
      ['run', 'scenarios/tenant-smoke.yaml', '--duration', '60s', '--out', out, '--no-report'],
      {
        env: { ...process.env, TMPDIR: tmp },
        processGroup: true,
        // The terminal goes away: no one reads its output any more (a write fails), and its
        // process group gets SIGHUP.
        onSpawn: (pid, child) => {
          hangUp = () => {
            child.stdout.destroy();
            child.stderr.destroy();
            process.kill(-pid, 'SIGHUP');
          };
        },
        onOutput: (_stdout, stderr) => {
          if (port !== 0 || !/sent [1-9]\d{2,}/.test(stderr)) return;
          port = Number(/kube-apiserver on https:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
          hangUp();
        },
        timeoutMs: 180_000,
      },
    );
    expect(port).toBeGreaterThan(0);
    expect(res.code).toBe(130);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('aborted');
    expect(result.actors.tenant!.requests.sent).toBeGreaterThan(100);
    expect(result.cleanup.errors).toEqual([]);
    expect(result.cleanup.deleted).toBeGreaterThan(0);
    // Its control plane is stopped and its directory, with the keys and tokens, removed.
    expect(await portRefused(port)).toBe(true);
    expect(pidsMentioning(`${tmp}/apfbench-run-`)).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('leaves no temporary directory behind when its control plane cannot start', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-tmpdir-'));
    const res = await runCli(
      ['run', 'scenarios/tenant-smoke.yaml', '--apiserver-bin', join(tmp, 'no-such-binary')],
      { env: { ...process.env, TMPDIR: tmp } },
    );
    expect(res.stderr).toContain('APFBENCH_BINARY_MISSING');
    expect(res.code).toBe(2);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('on Ctrl-C while its control plane starts, stops it, removes its directory and exits 130', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-tmpdir-'));
    const out = join(tmp, 'out');
    let servers: number[] = [];
    const res = await runCliInterrupted(
      ['run', 'scenarios/tenant-smoke.yaml', '--out', out],
      (stderr) => stderr.includes('starting kube-apiserver'),
      {
        env: { ...process.env, TMPDIR: tmp },
        // Once kube-apiserver runs, a few seconds before it is ready.
        beforeSignal: async () => {
          servers = await waitForProcesses(`${tmp}/apfbench-run-`, 2);
        },
        timeoutMs: 120_000,
      },
    );
    expect(res.interrupted).toBe(true);
    expect(servers).toHaveLength(2);
    expect(res.stderr).toContain('interrupted while kube-apiserver was starting');
    expect(res.code).toBe(130);
    expect(pidsMentioning(`${tmp}/apfbench-run-`)).toEqual([]);
    // No run started, so there is no result; and the control plane's directory is gone.
    expect(await readdir(tmp)).toEqual([]);
  });

  it('exits 2 on an unknown option before it starts anything', async () => {
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-unknown-'));
    const res = await runCli([
      'run',
      'scenarios/tenant-smoke.yaml',
      '--out',
      out,
      '--warmup',
      '5s',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Unknown argument: warmup');
    // yargs rejects the option after the command's handler is called: the run must not start.
    expect(res.stdout + res.stderr).not.toContain('control plane');
    expect(await readdir(out)).toEqual([]);
  });
});

describe('apfbench run against a cluster from a kubeconfig', () => {
  let cluster: LocalCluster;
  let admin: KubeClient;
  let scenarioFile: string;

  beforeAll(async () => {
    cluster = await startTestCluster();
    admin = cluster.admin();
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-run-'));
    scenarioFile = join(dir, 'long.yaml');
    await writeFile(
      scenarioFile,
      `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: long }
spec:
  duration: 2m
  fixtures: [{ kind: ConfigMap, count: 20, size: 64 }]
  actors:
    - name: writer
      type: tenant
      identity: tenant-1
      count: 1
      rate: 50/s
      mix:
        - { verb: create, resource: configmaps, weight: 3 }
        - { verb: get, resource: configmaps, weight: 1 }
`,
    );
  });

  afterAll(async () => {
    await admin?.transport.close();
    await cluster?.stop();
  });

  it('writes the result to the temp directory, naming it, when --out is taken away mid-run', async () => {
    const base = await mkdtemp(join(tmpdir(), 'apfbench-e2e-lost-'));
    const temp = await mkdtemp(join(tmpdir(), 'apfbench-e2e-fallback-'));
    const short = join(base, 'short.yaml');
    await writeFile(
      short,
      (await readFile(scenarioFile, 'utf8')).replace('duration: 2m', 'duration: 6s'),
    );
    const out = join(base, 'parent', 'out');
    let taken = false;
    const res = await runCli(
      ['run', short, '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--no-report'],
      {
        env: { ...process.env, TMPDIR: temp },
        onOutput: (_stdout, stderr) => {
          // Once the load runs, the output directory's parent becomes a file.
          if (!taken && /sent [1-9]\d+/.test(stderr)) {
            taken = true;
            rmSync(join(base, 'parent'), { recursive: true, force: true });
            writeFileSync(join(base, 'parent'), 'in the way');
          }
        },
        timeoutMs: 120_000,
      },
    );
    expect(taken).toBe(true);
    expect(res.code).toBe(1);
    const fallback = (await readdir(temp)).filter((f) => f.endsWith('-result.json'));
    expect(fallback).toHaveLength(1);
    const path = join(temp, fallback[0]!);
    expect(res.stderr).toContain('error [APFBENCH_RESULT_FALLBACK]: could not write');
    expect(res.stderr).toContain(`the run's result is in ${path}`);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    const result = JSON.parse(await readFile(path, 'utf8')) as RunResult;
    expect(result.status).toBe('completed');
    expect(result.actors.writer!.requests.total).toBeGreaterThan(200);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    'on %s (Ctrl-C, a kill, a closed terminal) writes an aborted result.json, deletes what it created, and exits 130',
    async (signal) => {
      const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-out-'));
      let pid = 0;
      let interrupted = false;
      const res = await runCli(
        ['run', scenarioFile, '--kubeconfig', cluster.kubeconfigPath, '--out', out],
        {
          onSpawn: (p) => (pid = p),
          onOutput: (_stdout, stderr) => {
            // Interrupt once the load is running and has created objects.
            if (!interrupted && /sent [1-9]\d{2,}/.test(stderr)) {
              interrupted = true;
              process.kill(pid, signal);
            }
          },
          timeoutMs: 120_000,
        },
      );
      expect(interrupted).toBe(true);
      expect(res.code).toBe(130);
      const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
      expect(result.status).toBe('aborted');
      expect(result.schemaVersion).toBe(1);
      expect(result.actors.writer!.requests.byCode['201']).toBeGreaterThan(50);
      expect(result.cleanup.deleted).toBeGreaterThan(50);
      expect(result.cleanup.errors).toEqual([]);
      const left = await admin.listAll(resources.configmaps, {
        namespace: 'apfbench',
        labelSelector: `apfbench.dev/run=${result.runId}`,
      });
      expect(left.items).toEqual([]);
    },
  );

  it('when a worker thread crashes, stops, writes the partial result as failed naming the worker, deletes what it created, and exits 1', async () => {
    const out = await mkdtemp(join(tmpdir(), 'apfbench-e2e-crash-'));
    const res = await runCli(
      ['run', scenarioFile, '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--no-report'],
      {
        // The one worker of this one-instance scenario dies 3 s into its 2-minute run.
        env: { ...process.env, [CRASH_FAULT_ENV]: '0:3000' },
        timeoutMs: 120_000,
      },
    );
    expect(res.code).toBe(1);
    const file = join(out, 'result.json');
    expect(res.stderr).toContain(
      `error [APFBENCH_RUN_FAILED]: run failed: worker 0: crash injected by ${CRASH_FAULT_ENV} into worker 0 (partial result in ${file})`,
    );
    expect(res.stderr).not.toMatch(/^\s+at /m);
    const result = JSON.parse(await readFile(file, 'utf8')) as RunResult;
    expect(result.status).toBe('failed');
    // What the worker reported before it died is kept.
    const created = result.actors.writer!.requests.byCode['201']!;
    expect(created).toBeGreaterThan(50);
    expect(result.cleanup.errors).toEqual([]);
    expect(result.cleanup.deleted).toBeGreaterThanOrEqual(created);
    const left = await admin.listAll(resources.configmaps, {
      namespace: 'apfbench',
      labelSelector: `apfbench.dev/run=${result.runId}`,
    });
    expect(left.items).toEqual([]);
  });

  it('on Ctrl-C while it creates fixtures, stops creating them, deletes them, writes an aborted result.json and exits 130', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-fixtures-'));
    const scenario = join(dir, 'many-fixtures.yaml');
    const fixtures = 5000;
    await writeFile(
      scenario,
      `apiVersion: apfbench.dev/v1alpha1
kind: Scenario
metadata: { name: many-fixtures }
spec:
  duration: 10s
  fixtures: [{ kind: ConfigMap, count: ${fixtures}, size: 64 }]
  actors:
    - name: reader
      type: tenant
      identity: tenant-1
      count: 1
      rate: 10/s
      mix: [{ verb: get, resource: configmaps, weight: 1 }]
`,
    );
    const out = join(dir, 'out');
    const res = await runCliInterrupted(
      ['run', scenario, '--kubeconfig', cluster.kubeconfigPath, '--out', out, '--no-report'],
      (stderr) => stderr.includes(`creating ${fixtures} ConfigMaps`),
      { timeoutMs: 170_000 },
    );
    expect(res.interrupted).toBe(true);
    expect(res.code).toBe(130);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('aborted');
    expect(result.reason).toBe('interrupted before the load started');
    expect(result.actors.reader!.requests.sent).toBe(0);
    // It stopped creating: only the fixtures created before the Ctrl-C were there to delete.
    expect(result.cleanup.deleted).toBeLessThan(fixtures);
    expect(result.cleanup.errors).toEqual([]);
    const left = await admin.listAll(resources.configmaps, {
      namespace: 'apfbench',
      labelSelector: `apfbench.dev/run=${result.runId}`,
    });
    expect(left.items).toEqual([]);
  });

  it('run --profile applies the profile for the run, restores it, records it and writes the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-profile-'));
    const scenario = join(dir, 'short.yaml');
    await writeFile(
      scenario,
      `apiVersion: apfbench.dev/v1alpha1
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
`,
    );
    const before = await flowControlState(admin);
    const out = join(dir, 'out');
    const res = await runCli(
      [
        'run',
        scenario,
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--profile',
        'profiles/isolate-tenants.yaml',
        '--out',
        out,
        '--quiet',
      ],
      { timeoutMs: 120_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`report: ${join(out, 'report.html')}`);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.profile?.name).toBe('isolate-tenants');
    expect(result.profile?.file).toBe('profiles/isolate-tenants.yaml');
    expect(result.profile?.changes.length).toBeGreaterThan(0);
    // The noisy user ran in the profile's own priority level while it was applied.
    expect(Object.keys(result.fairness?.priorityLevels ?? {})).toContain('noisy-tenants');
    expect(await flowControlState(admin)).toEqual(before);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['result.json', 'report.html', 'summary.md']));
    expect(files).not.toContain('profile-snapshot.json');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('isolate-tenants');

    const quiet = join(dir, 'no-report');
    const again = await runCli(
      [
        'run',
        scenario,
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--out',
        quiet,
        '--quiet',
        '--no-report',
      ],
      { timeoutMs: 120_000 },
    );
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('report:');
    expect(await readdir(quiet)).toEqual(['result.json']);
  });

  it('refuses a profile with API-server flags on a cluster apfbench did not start', async () => {
    const res = await runCli([
      'run',
      'scenarios/tenant-smoke.yaml',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--profile',
      'profiles/tight.yaml',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('APFBENCH_PROFILE_NEEDS_FLAGS');
  });

  it('refuses a kubeconfig that points away from loopback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-e2e-remote-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const text = await readFile(cluster.kubeconfigPath, 'utf8');
    await writeFile(
      kubeconfig,
      text.replace(/https:\/\/127\.0\.0\.1:\d+/, 'https://10.255.255.1:6443'),
    );
    const res = await runCli(['run', 'scenarios/tenant-smoke.yaml', '--kubeconfig', kubeconfig]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('APFBENCH_REMOTE_TARGET');
    expect(res.stderr).toContain('--allow-remote');
  });
});
