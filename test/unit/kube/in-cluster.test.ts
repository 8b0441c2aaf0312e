import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClusterConfig } from '../../../src/kube/cluster-selection.js';
import { inClusterEnv, loadInClusterConfig } from '../../../src/kube/in-cluster.js';
import { renderKubeconfig } from '../../../src/kube/kubeconfig.js';

/** A ServiceAccount directory as the kubelet mounts it, with a JWT-shaped token. */
async function serviceAccountDir(files: { ca?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'apfbench-sa-'));
  const claims = Buffer.from(
    JSON.stringify({ sub: 'system:serviceaccount:load:apfbench' }),
  ).toString('base64url');
  const token = `eyJhbGciOiJSUzI1NiJ9.${claims}.sig`;
  await writeFile(join(dir, 'token'), `${token}\n`);
  if (files.ca !== false) await writeFile(join(dir, 'ca.crt'), 'CLUSTER CA');
  await writeFile(join(dir, 'namespace'), 'load');
  return { dir, token };
}

const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' };

describe('loadInClusterConfig', () => {
  it("reads the pod's ServiceAccount token, CA and namespace, as client-go does", async () => {
    const { dir, token } = await serviceAccountDir();
    const cfg = await loadInClusterConfig({ env, dir });
    expect(cfg.target).toEqual({ server: 'https://127.0.0.1:6443', ca: 'CLUSTER CA' });
    expect(cfg.identity).toEqual({
      name: 'system:serviceaccount:load:apfbench',
      token,
      credential: 'in-cluster ServiceAccount',
    });
    expect(cfg.namespace).toBe('load');
    expect(cfg.file).toBeUndefined();
    // The kubelet rotates the token: it is read again every minute.
    expect(cfg.credential?.token).toBe(token);
  });

  it("uses the system's CAs when ca.crt is missing, and brackets an IPv6 host", async () => {
    const { dir } = await serviceAccountDir({ ca: false });
    const cfg = await loadInClusterConfig({
      env: { KUBERNETES_SERVICE_HOST: '::1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    });
    expect(cfg.target).toEqual({ server: 'https://[::1]:443' });
  });

  it('refuses a service that is not loopback without allowRemote, before reading the token', async () => {
    const remote = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    await expect(loadInClusterConfig({ env: remote, dir: '/nonexistent' })).rejects.toMatchObject({
      code: 'APFBENCH_REMOTE_TARGET',
    });
    const { dir } = await serviceAccountDir();
    const cfg = await loadInClusterConfig({ env: remote, dir, allowRemote: true });
    expect(cfg.target.server).toBe('https://10.96.0.1:443');
  });

  it.each([
    [
      'outside a pod',
      {},
      undefined,
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set',
    ],
    [
      'without a mounted token',
      env,
      '/nonexistent',
      'cannot read the ServiceAccount token /nonexistent/token',
    ],
  ])('explains what is missing %s', async (_name, e, dir, message) => {
    await expect(
      loadInClusterConfig({ env: e, ...(dir === undefined ? {} : { dir }) }),
    ).rejects.toMatchObject({
      code: 'APFBENCH_IN_CLUSTER',
      message: expect.stringContaining(message),
    });
  });

  it('tells a pod by both variables', () => {
    expect(inClusterEnv(env)).toBe(true);
    expect(inClusterEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1' })).toBe(false);
    expect(inClusterEnv({})).toBe(false);
  });
});

describe('loadClusterConfig', () => {
  it('--kubeconfig with no value: $KUBECONFIG first, then ~/.kube/config, then in-cluster', async () => {
    const home = await mkdtemp(join(tmpdir(), 'apfbench-home-'));
    const { dir } = await serviceAccountDir();
    const listed = join(home, 'listed');
    const kubeconfig = (port: number) =>
      renderKubeconfig({ server: `https://127.0.0.1:${port}`, ca: 'CA', token: 't' });
    await writeFile(listed, kubeconfig(1));
    const opts = { home, serviceAccountDir: dir };
    const server = async (e: NodeJS.ProcessEnv) =>
      (await loadClusterConfig({ kind: 'default' }, { ...opts, env: e })).target.server;

    expect(await server({ ...env, KUBECONFIG: listed })).toBe('https://127.0.0.1:1');
    // Neither $KUBECONFIG nor ~/.kube/config: in a pod, the pod's cluster.
    expect(await server(env)).toBe('https://127.0.0.1:6443');
    await expect(server({})).rejects.toMatchObject({ code: 'APFBENCH_NO_KUBECONFIG' });
    await mkdir(join(home, '.kube'));
    await writeFile(join(home, '.kube', 'config'), kubeconfig(2));
    expect(await server(env)).toBe('https://127.0.0.1:2');
  });

  it('refuses --context with --in-cluster, which reads no kubeconfig', async () => {
    await expect(
      loadClusterConfig({ kind: 'in-cluster' }, { context: 'x', env }),
    ).rejects.toMatchObject({ code: 'APFBENCH_BAD_FLAG' });
  });
});
