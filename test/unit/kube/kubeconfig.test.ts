import { access, mkdtemp, writeFile } from 'node:fs/promises';
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
      // A token file is read again every minute, as client-go does: it may be rotated.
      credential: 'kubeconfig user "u1"',
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

  const ctx = 'current-context: a\ncontexts: [{ name: a, context: { cluster: c, user: u } }]\n';
  const users = 'users: [{ name: u, user: { token: t } }]\n';

  // Each problem as the user reads it: file:line:column (0: no position), field path, message.
  it.each([
    [
      'an empty file',
      '',
      undefined,
      [':1:1: the file is empty: a kubeconfig has clusters, contexts and users'],
    ],
    [
      'lists of the wrong shape',
      'current-context: a\nclusters: 5\ncontexts: [{ name: a, context: { cluster: [c] } }]\n',
      undefined,
      [
        ':2:11 clusters: must be a list (got 5)',
        ':3:32 contexts[0].context.user: is required',
        ':3:43 contexts[0].context.cluster: must be a string',
      ],
    ],
    [
      'clusters as a mapping',
      `${ctx}${users}clusters:\n  c: { server: "https://127.0.0.1:1" }\n`,
      undefined,
      [':5:3 clusters: must be a list'],
    ],
    [
      'clusters as a string',
      `${ctx}${users}clusters: c\n`,
      undefined,
      [':4:11 clusters: must be a list (got c)'],
    ],
    [
      'clusters as a number',
      `${ctx}${users}clusters: 7\n`,
      undefined,
      [':4:11 clusters: must be a list (got 7)'],
    ],
    [
      'a cluster entry without cluster:',
      `${ctx}${users}clusters: [{ name: c }]\n`,
      undefined,
      [':4:12 clusters[0].cluster: is required'],
    ],
    [
      'a cluster entry with a null cluster:',
      `${ctx}${users}clusters: [{ name: c, cluster: null }]\n`,
      undefined,
      [':4:32 clusters[0].cluster: must be a mapping (got null)'],
    ],
    [
      'a missing server',
      `${ctx}${users}clusters: [{ name: c, cluster: {} }]\n`,
      undefined,
      [':4:32 clusters[0].cluster.server: is required'],
    ],
    [
      'a server that is not a URL',
      `${ctx}${users}clusters: [{ name: c, cluster: { server: foo } }]\n`,
      undefined,
      [':4:42 clusters[0].cluster.server: must be a URL such as https://127.0.0.1:6443 (got foo)'],
    ],
    [
      'a context naming an unknown cluster and user',
      `${ctx}clusters: [{ name: d, cluster: { server: foo } }]\nusers: []\n`,
      undefined,
      [
        ':2:43 contexts[0].context.cluster: names no entry of clusters (got c)',
        ':2:52 contexts[0].context.user: names no entry of users (got u)',
      ],
    ],
    [
      'no current context',
      'clusters: []\n',
      undefined,
      [':1:1 current-context: is required, or pass --context'],
    ],
    [
      'a current context that is not there',
      'current-context: nope\ncontexts: []\n',
      undefined,
      [':1:18 current-context: names no entry of contexts (got nope)'],
    ],
    [
      'a --context that is not there',
      `${ctx}clusters: []\n`,
      'b',
      [':2:11 contexts: has no context named "b" (--context)'],
    ],
  ])('explains %s, with the field and its location', async (_name, text, context, expected) => {
    const file = join(await dir(), 'config');
    await writeFile(file, text);
    const err = await loadKubeconfig(file, context).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APFBENCH_INVALID_KUBECONFIG', kind: 'invalid-input' });
    expect((err as Error).message.split('\n').slice(1)).toEqual(expected.map((l) => file + l));
  });

  it('names every file it cannot read, with the field that names it', async () => {
    const d = await dir();
    const file = join(d, 'config');
    await writeFile(
      file,
      `${ctx}clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", certificate-authority: ca.crt } }]
users: [{ name: u, user: { tokenFile: /nonexistent/token, client-certificate: c.crt, client-key: c.key } }]
`,
    );
    const err = await loadKubeconfig(file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APFBENCH_INVALID_KUBECONFIG', kind: 'invalid-input' });
    expect((err as Error).message.split('\n').slice(1)).toEqual([
      `${file} clusters[0].cluster.certificate-authority: cannot read ${join(d, 'ca.crt')} (ENOENT)`,
      `${file} users[0].user.client-certificate: cannot read ${join(d, 'c.crt')} (ENOENT)`,
      `${file} users[0].user.client-key: cannot read ${join(d, 'c.key')} (ENOENT)`,
      `${file} users[0].user.tokenFile: cannot read /nonexistent/token (ENOENT)`,
    ]);
  });

  it('explains a kubeconfig that cannot be read', async () => {
    const file = join(await dir(), 'missing');
    await expect(loadKubeconfig(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_KUBECONFIG',
      message: `invalid kubeconfig (1 problem):\n${file}: cannot read the file (ENOENT)`,
    });
  });

  it('explains an exec plugin that prints something other than an ExecCredential', async () => {
    const file = join(await dir(), 'config');
    await writeFile(
      file,
      `${ctx}clusters: [{ name: c, cluster: { server: "https://127.0.0.1:2" } }]
users: [{ name: u, user: { exec: { command: ${process.execPath}, args: [-e, "console.log('hello')"] } } }]
`,
    );
    await expect(loadKubeconfig(file)).rejects.toMatchObject({
      code: 'APFBENCH_EXEC_CREDENTIAL',
      message: `${file}: exec plugin ${process.execPath} printed no ExecCredential JSON`,
    });
  });

  it('names an exec plugin that is not on PATH, at its command', async () => {
    const file = join(await dir(), 'config');
    await writeFile(
      file,
      `${ctx}clusters: [{ name: c, cluster: { server: "https://127.0.0.1:2" } }]
users: [{ name: u, user: { exec: { command: apfbench-no-such-plugin } } }]
`,
    );
    await expect(loadKubeconfig(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_KUBECONFIG',
      kind: 'invalid-input',
      message: `invalid kubeconfig (1 problem):\n${file} users[0].user.exec.command: exec plugin 'apfbench-no-such-plugin' not found on PATH`,
    });
  });

  it('refuses a server that is not loopback before the exec plugin runs', async () => {
    const d = await dir();
    const file = join(d, 'config');
    const marker = join(d, 'plugin-ran');
    await writeFile(
      file,
      `${ctx}clusters: [{ name: c, cluster: { server: "https://10.1.2.3:6443" } }]
users: [{ name: u, user: { exec: { command: ${process.execPath}, args: [-e, "require('fs').writeFileSync(process.argv[1], '')", ${marker}] } } }]
`,
    );
    await expect(loadKubeconfig(file)).rejects.toMatchObject({ code: 'APFBENCH_REMOTE_TARGET' });
    await expect(access(marker)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
