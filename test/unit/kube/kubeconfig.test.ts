import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKubeconfig, renderKubeconfig } from '../../../src/kube/kubeconfig.js';

async function dir() {
  return mkdtemp(join(tmpdir(), 'apfbench-kubeconfig-'));
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('loadKubeconfig', () => {
  it('round-trips what cluster up writes', async () => {
    const d = await dir();
    const file = join(d, 'kubeconfig');
    await writeFile(
      file,
      renderKubeconfig({ server: 'https://127.0.0.1:6443', ca: 'CA-PEM', token: 't0k' }),
    );
    const cfg = await loadKubeconfig(file);
    expect(cfg.target).toEqual({ server: 'https://127.0.0.1:6443', ca: 'CA-PEM' });
    expect(cfg.identity.token).toBe('t0k');
  });

  it('reads files relative to the kubeconfig, client certs, impersonation and a chosen context', async () => {
    const d = await dir();
    await writeFile(join(d, 'ca.crt'), 'CA');
    await writeFile(join(d, 'token'), 'from-file\n');
    const file = join(d, 'config');
    await writeFile(
      file,
      `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster: { server: "https://127.0.0.1:1/", certificate-authority: ca.crt, tls-server-name: kubernetes }
contexts:
- name: a
  context: { cluster: c1, user: u1 }
- name: b
  context: { cluster: c1, user: u2 }
users:
- name: u1
  user: { tokenFile: token, as: tenant-7, as-groups: [apfbench:tenants] }
- name: u2
  user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }
`,
    );
    const a = await loadKubeconfig(file);
    expect(a.target).toEqual({
      server: 'https://127.0.0.1:1',
      ca: 'CA',
      tlsServerName: 'kubernetes',
    });
    expect(a.identity).toEqual({
      name: 'tenant-7',
      token: 'from-file',
      impersonate: { user: 'tenant-7', groups: ['apfbench:tenants'] },
    });
    const b = await loadKubeconfig(file, 'b');
    expect(b.target.clientCert).toEqual({ cert: 'CERT', key: 'KEY' });
    expect(b.identity.token).toBeUndefined();
  });

  it('runs an exec credential plugin', async () => {
    const d = await dir();
    const plugin = join(d, 'plugin.mjs');
    await writeFile(
      plugin,
      `const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
       console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: 'exec-' + process.env.EXTRA } }));`,
    );
    const file = join(d, 'config');
    await writeFile(
      file,
      `current-context: x
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:2" } }]
contexts: [{ name: x, context: { cluster: c, user: e } }]
users:
- name: e
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${process.execPath}
      args: [${plugin}]
      env: [{ name: EXTRA, value: ok }]
`,
    );
    expect((await loadKubeconfig(file)).identity.token).toBe('exec-ok');
  });

  it.each([
    ['missing context', 'current-context: nope\ncontexts: []\n', 'context nope not found'],
    ['no current context', 'clusters: []\n', 'no current-context'],
    [
      'missing server',
      'current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {}}]\n',
      'cluster c has no server',
    ],
  ])('explains a %s', async (_name, text, message) => {
    const d = await dir();
    const file = join(d, 'config');
    await writeFile(file, text);
    await expect(loadKubeconfig(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_KUBECONFIG',
      message: expect.stringContaining(message),
    });
  });
});
