// Several kubeconfig files, merged as kubectl merges them, checked against kubectl itself: the
// same files, the same KUBECONFIG, and `kubectl config view --flatten` must agree with
// mergeKubeconfigs (flattened the same way: files named by an entry read from the directory of
// the file that holds it).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  defaultKubeconfigSource,
  loadKubeconfig,
  mergeKubeconfigs,
  readKubeconfigFiles,
  resolveAgainst,
  type KubeconfigSource,
  type MergedEntry,
} from '../../../src/kube/kubeconfig.js';

const KUBECTL = '/usr/bin/kubectl';

async function dir() {
  return mkdtemp(join(tmpdir(), 'apfbench-kubeconfig-merge-'));
}

/** Two files in two directories, each with a `ca.crt` of its own, and a third that is missing. */
async function twoFiles() {
  const root = await dir();
  const a = join(root, 'a');
  const b = join(root, 'b');
  await mkdir(a);
  await mkdir(b);
  await writeFile(join(a, 'ca.crt'), 'CA OF A\n');
  await writeFile(join(b, 'ca.crt'), 'CA OF B\n');
  await writeFile(join(b, 'client.crt'), 'CERT OF B\n');
  await writeFile(join(b, 'client.key'), 'KEY OF B\n');
  // File a: sets the current context, whose context names a cluster that only b has; its
  // `shared` cluster and user win over b's, whole (b's tls-server-name does not come along).
  await writeFile(
    join(a, 'config'),
    `apiVersion: v1
kind: Config
current-context: from-a
clusters:
- name: shared
  cluster: { server: "https://127.0.0.1:1111", certificate-authority: ca.crt }
contexts:
- name: from-a
  context: { cluster: only-in-b, user: shared, namespace: team-a }
users:
- name: shared
  user: { token: token-of-a }
`,
  );
  // File b: its current-context loses to a's; its `only-in-b` cluster's CA is b's own ca.crt.
  await writeFile(
    join(b, 'config'),
    `apiVersion: v1
kind: Config
current-context: from-b
clusters:
- name: only-in-b
  cluster: { server: "https://127.0.0.1:2222", certificate-authority: ca.crt }
- name: shared
  cluster: { server: "https://127.0.0.1:3333", tls-server-name: kubernetes }
contexts:
- name: from-b
  context: { cluster: shared, user: cert-user }
- name: from-a
  context: { cluster: shared, user: cert-user }
users:
- name: shared
  user: { token: token-of-b }
- name: cert-user
  user: { client-certificate: client.crt, client-key: client.key }
`,
  );
  const files = [join(a, 'config'), join(root, 'missing'), join(b, 'config')];
  return { root, a, b, files };
}

/** kubectl's merged and flattened view of the files in KUBECONFIG. */
async function kubectlView(files: readonly string[]) {
  const { stdout } = await promisify(execFile)(
    KUBECTL,
    ['config', 'view', '--flatten', '--raw', '-o', 'json'],
    { env: { PATH: process.env.PATH, HOME: tmpdir(), KUBECONFIG: files.join(delimiter) } },
  );
  const view = JSON.parse(stdout) as Record<string, unknown>;
  return {
    'current-context': view['current-context'],
    clusters: view.clusters,
    contexts: view.contexts,
    users: view.users,
  };
}

const b64 = async (path: string) => (await readFile(path)).toString('base64');

/** An entry's files inlined, as `kubectl config view --flatten` inlines them. */
async function flatten(
  entry: MergedEntry<Record<string, unknown>>,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const out = { ...entry.value };
  for (const [fileKey, dataKey] of Object.entries(fields)) {
    const path = out[fileKey];
    if (typeof path !== 'string') continue;
    delete out[fileKey];
    out[dataKey] = await b64(resolveAgainst(entry.file, path));
  }
  return out;
}

async function ourView(source: KubeconfigSource) {
  const merged = mergeKubeconfigs(await readKubeconfigFiles(source));
  const sorted = async <T>(
    map: ReadonlyMap<string, MergedEntry<T>>,
    key: string,
    fields: Record<string, string>,
  ) =>
    Promise.all(
      [...map.entries()]
        .sort(([x], [y]) => x.localeCompare(y))
        .map(async ([name, entry]) => ({
          name,
          [key]: await flatten(entry as MergedEntry<Record<string, unknown>>, fields),
        })),
    );
  return {
    'current-context': merged.currentContext?.name,
    clusters: await sorted(merged.clusters, 'cluster', {
      'certificate-authority': 'certificate-authority-data',
    }),
    contexts: await sorted(merged.contexts, 'context', {}),
    users: await sorted(merged.users, 'user', {
      'client-certificate': 'client-certificate-data',
      'client-key': 'client-key-data',
    }),
  };
}

describe('a KUBECONFIG of several files', () => {
  it('merges as `kubectl config view --flatten` does', async () => {
    const { files } = await twoFiles();
    const ours = await ourView({ files, explicit: false });
    expect(ours).toEqual(await kubectlView(files));
    // What the comparison covers, in case kubectl's view changed under it.
    expect(ours['current-context']).toBe('from-a');
    expect(ours.clusters.map((c) => c.name)).toEqual(['only-in-b', 'shared']);
  });

  it('merges in the order given: the other order gives the other file’s entries, as kubectl', async () => {
    const { files } = await twoFiles();
    const reversed = files.toReversed();
    const ours = await ourView({ files: reversed, explicit: false });
    expect(ours).toEqual(await kubectlView(reversed));
    expect(ours['current-context']).toBe('from-b');
  });

  it('loads the context of one file with the cluster of the other, each file’s paths its own', async () => {
    const { a, b, files } = await twoFiles();
    const cfg = await loadKubeconfig({ files, explicit: false });
    expect(cfg.context).toBe('from-a');
    expect(cfg.target).toEqual({ server: 'https://127.0.0.1:2222', ca: 'CA OF B\n' });
    expect(cfg.identity).toEqual({ name: 'shared', token: 'token-of-a' });
    expect(cfg.namespace).toBe('team-a');
    // identities.json is looked for next to the file that holds the context.
    expect(cfg.file).toBe(join(a, 'config'));

    const other = await loadKubeconfig({ files, explicit: false }, 'from-b');
    // a's cluster, with a's CA; b's user, with b's certificate and key.
    expect(other.target).toEqual({
      server: 'https://127.0.0.1:1111',
      ca: 'CA OF A\n',
      clientCert: { cert: 'CERT OF B\n', key: 'KEY OF B\n' },
    });
    expect(other.file).toBe(join(b, 'config'));
  });

  it('takes current-context from the first file that sets one, skipping empty files', async () => {
    const { root, files } = await twoFiles();
    const empty = join(root, 'empty');
    const unset = join(root, 'unset');
    await writeFile(empty, '');
    await writeFile(unset, 'current-context: ""\nclusters: []\n');
    const chain = [empty, unset, ...files.toReversed()];
    const ours = await ourView({ files: chain, explicit: false });
    expect(ours).toEqual(await kubectlView(chain));
    expect(ours['current-context']).toBe('from-b');
  });

  it('locates a context problem in the file that holds the entry at fault', async () => {
    const { root, a } = await twoFiles();
    // Without b, a's context names a cluster no file has.
    const err = await loadKubeconfig({ files: [join(a, 'config')], explicit: false }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message.split('\n').slice(1)).toEqual([
      `${join(a, 'config')}:9:23 contexts[0].context.cluster: names no entry of clusters (got only-in-b)`,
    ]);
    const other = join(root, 'other');
    await writeFile(other, 'clusters: [{ name: only-in-b, cluster: { server: nope } }]\n');
    const bad = await loadKubeconfig({ files: [join(a, 'config'), other], explicit: false }).catch(
      (e: unknown) => e,
    );
    expect((bad as Error).message.split('\n').slice(1)).toEqual([
      `${other}:1:50 clusters[0].cluster.server: must be a URL such as https://127.0.0.1:6443 (got nope)`,
    ]);
  });

  it('refuses a name twice in one file, as kubectl does', async () => {
    const file = join(await dir(), 'config');
    await writeFile(
      file,
      `current-context: x
clusters:
- { name: c, cluster: { server: "https://127.0.0.1:1" } }
- { name: c, cluster: { server: "https://127.0.0.1:2" } }
contexts: [{ name: x, context: { cluster: c, user: u } }]
users: [{ name: u, user: { token: t } }]
`,
    );
    await expect(loadKubeconfig(file)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_KUBECONFIG',
      message: expect.stringContaining(
        `${file}:4:11 clusters[1].name: repeats the name of clusters[0] (got c)`,
      ),
    });
    await expect(
      promisify(execFile)(KUBECTL, ['config', 'view', '--kubeconfig', file]),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('duplicate name "c"') });
  });

  it('says which files it looked for when none exists', async () => {
    const root = await dir();
    const files = [join(root, 'x'), join(root, 'y')];
    await expect(loadKubeconfig({ files, explicit: false })).rejects.toMatchObject({
      code: 'APFBENCH_NO_KUBECONFIG',
      message: `no kubeconfig: ${files.join(delimiter)} name no file that exists`,
    });
  });
});

describe('defaultKubeconfigSource', () => {
  it.each([
    ['KUBECONFIG unset', {}, ['/home/u/.kube/config']],
    ['KUBECONFIG empty', { KUBECONFIG: '' }, ['/home/u/.kube/config']],
    ['one file', { KUBECONFIG: '/k/a' }, ['/k/a']],
    [
      'several, with empty entries and repeats dropped',
      { KUBECONFIG: `/k/a${delimiter}${delimiter}/k/b${delimiter}/k/a` },
      ['/k/a', '/k/b'],
    ],
  ])('%s', (_name, env, files) => {
    expect(defaultKubeconfigSource(env, '/home/u')).toEqual({ files, explicit: false });
  });
});
