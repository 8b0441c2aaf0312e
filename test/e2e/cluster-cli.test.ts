import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/cluster/processes.js';
import type { ClusterState } from '../../src/cluster/local.js';
import { loadKubeconfig, KubeClient, Transport, ok, resources } from '../../src/kube/index.js';
import { runCli, runCliInterrupted } from '../support/cli.js';
import { pidsMentioning, portRefused, waitForProcesses } from '../support/processes.js';

const tmp = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

describe('apfbench cluster up / status / down', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir !== undefined && existsSync(join(dir, 'state.json')))
      await runCli(['cluster', 'down', '--dir', dir]);
  });

  it('brings up a real API server, reports it, and leaves nothing behind', async () => {
    dir = join(await tmp('apfbench-e2e-'), 'cluster');
    const up = await runCli(['cluster', 'up', '--dir', dir, '--nodes', '10', '--tenants', '3']);
    expect(up.stderr + up.stdout).toContain('control plane ready at https://127.0.0.1:');
    expect(up.code).toBe(0);
    expect((await stat(join(dir, 'identities.json'))).mode & 0o777).toBe(0o600);

    const cfg = await loadKubeconfig(join(dir, 'kubeconfig'));
    const admin = new KubeClient(new Transport(cfg.target), cfg.identity);
    try {
      const version = ok(
        await admin.request<{ gitVersion: string }>({ method: 'GET', path: '/version' }),
        'version',
      );
      const pinned = (
        await readFile(new URL('../../hack/control-plane/go.mod', import.meta.url), 'utf8')
      ).match(/k8s\.io\/kubernetes (v\S+)/)?.[1];
      expect(version.gitVersion).toBe(pinned);
      const levels = await admin.listAll(resources.prioritylevelconfigurations);
      expect(levels.items.map((l) => l.metadata.name).sort()).toEqual([
        'catch-all',
        'exempt',
        'global-default',
        'leader-election',
        'node-high',
        'system',
        'workload-high',
        'workload-low',
      ]);
    } finally {
      await admin.transport.close();
    }

    const status = await runCli(['cluster', 'status', '--dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ready/);
    expect(status.stdout).toMatch(/kube-apiserver\s+pid \d+\s+running/);

    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ClusterState;
    const down = await runCli(['cluster', 'down', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(state.processes.map((p) => p.name).sort()).toEqual(['etcd', 'kube-apiserver']);
    for (const p of state.processes) expect(isAlive(p.pid), `${p.name} pid ${p.pid}`).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('apfbench cluster up interrupted', () => {
  it('on Ctrl-C while waiting for readiness stops etcd and kube-apiserver, removes --dir and exits 130', async () => {
    const dir = join(await tmp('apfbench-e2e-'), 'c');
    let servers: number[] = [];
    const res = await runCliInterrupted(
      ['cluster', 'up', '--dir', dir, '--ready-timeout', '600'],
      (stderr) => stderr.includes('starting kube-apiserver'),
      {
        // Once kube-apiserver runs, a few seconds before it is ready: both servers are up.
        beforeSignal: async () => {
          servers = await waitForProcesses(`${dir}/`, 2);
        },
        timeoutMs: 120_000,
      },
    );
    expect(res.interrupted).toBe(true);
    expect(servers).toHaveLength(2);
    expect(res.stdout).not.toContain('control plane ready');
    expect(res.stderr).toContain('SIGINT: stopping the control plane it started');
    expect(res.code).toBe(130);
    for (const p of servers) expect(isAlive(p), `pid ${p}`).toBe(false);
    expect(pidsMentioning(`${dir}/`)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    const port = Number(/kube-apiserver on https:\/\/127\.0\.0\.1:(\d+)/.exec(res.stderr)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await portRefused(port)).toBe(true);
  });
});

describe('clear errors', () => {
  it.each([
    ['--port', 'abc', 'from 1 to 65535'],
    ['--port', '0', 'from 1 to 65535'],
    ['--port', '70000', 'from 1 to 65535'],
    ['--ready-timeout', 'abc', '>= 1'],
    ['--ready-timeout', '-5', '>= 1'],
    ['--nodes', '-1', 'from 0 to 100000'],
    ['--tenants', '2.5', 'from 0 to 100000'],
    ['--max-requests-inflight', '0', '>= 1'],
  ])('exits 2 on %s %s, naming the flag, before it starts anything', async (flag, value, range) => {
    const dir = join(await tmp('apfbench-e2e-'), 'c');
    const res = await runCli(['cluster', 'up', '--dir', dir, flag, value]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${flag} must be an integer ${range}`);
    expect(res.stdout + res.stderr).not.toContain('starting etcd');
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a --dir that holds other files, and leaves them alone', async () => {
    const dir = await tmp('apfbench-e2e-');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const res = await runCli(['cluster', 'up', '--dir', dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `error [APFBENCH_BAD_DIR]: --dir ${dir} holds files that are not a control plane's (notes.txt)`,
    );
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    // Also beside a stopped control plane's state: its files may go, the user's may not.
    await writeFile(join(dir, 'state.json'), JSON.stringify({ processes: [] }));
    const beside = await runCli(['cluster', 'up', '--dir', dir]);
    expect(beside.code).toBe(2);
    expect(beside.stderr).toContain("holds files that are not a control plane's (notes.txt)");
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const file = join(dir, 'notes.txt');
    const onFile = await runCli(['cluster', 'up', '--dir', file]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`error [APFBENCH_BAD_DIR]: --dir ${file}: ENOTDIR`);
  });

  it('names a port that is in use', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = join(await tmp('apfbench-e2e-'), 'c');
      const res = await runCli(['cluster', 'up', '--dir', dir, '--port', String(port)]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(
        `error [APFBENCH_PORT_IN_USE]: port ${port} for kube-apiserver is already in use`,
      );
      // Nothing ran: its keys and tokens, and the directory, are gone.
      expect(existsSync(dir)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('shows the last lines of the log of a binary that fails to start', async () => {
    const dir = join(await tmp('apfbench-e2e-'), 'c');
    const res = await runCli([
      'cluster',
      'up',
      '--dir',
      dir,
      '--apiserver-bin',
      process.execPath,
      '--apiserver-arg',
      'not-a-node-flag=1',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'error [APFBENCH_PROCESS_EXITED]: kube-apiserver exited during start-up',
    );
    expect(res.stderr).toContain('bad option: --not-a-node-flag');
    // The logs stay for the user to read; keys, tokens and etcd data do not.
    expect(existsSync(join(dir, 'kube-apiserver.log'))).toBe(true);
    for (const name of ['pki', 'tokens.csv', 'etcd-data'])
      expect(existsSync(join(dir, name))).toBe(false);
  });

  it('times out readiness with a clear message', async () => {
    const dir = join(await tmp('apfbench-e2e-'), 'c');
    const res = await runCli(['cluster', 'up', '--dir', dir, '--ready-timeout', '1']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/APFBENCH_READY_TIMEOUT.*was not ready after/);
    expect(res.stderr).toContain('--ready-timeout');
  });

  it('says what to install when Go is missing', async () => {
    const res = await runCli(['cluster', 'build'], {
      env: {
        ...process.env,
        PATH: '/nonexistent',
        APFBENCH_CACHE_DIR: await tmp('apfbench-cache-'),
      },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error [APFBENCH_GO_MISSING]');
    expect(res.stderr).toMatch(/hint: install Go >= 1\.26/);
  });
});
