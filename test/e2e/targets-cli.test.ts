// Which cluster the flags choose, as a user types them: each case is refused before anything
// starts (the cluster is not loopback, or the flags contradict each other), so no control plane
// runs and no load is sent; what is checked is which cluster the CLI went for.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let home: string;
let env: NodeJS.ProcessEnv;
const remote = (server: string) => `current-context: r
clusters: [{ name: r, cluster: { server: "${server}" } }]
contexts: [{ name: r, context: { cluster: r, user: u } }]
users: [{ name: u, user: { token: t } }]
`;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'apfbench-targets-'));
  await writeFile(join(home, 'listed'), remote('https://10.1.2.3:6443'));
  // No ~/.kube/config in this HOME; KUBECONFIG names a missing file, then one that exists.
  env = {
    ...process.env,
    HOME: home,
    KUBECONFIG: [join(home, 'missing'), join(home, 'listed')].join(delimiter),
  };
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBERNETES_SERVICE_PORT;
});

const run = (...flags: string[]) =>
  runCli(['run', 'scenarios/tenant-smoke.yaml', ...flags], { env, timeoutMs: 60_000 });

it.each([
  ['--kubeconfig with no value, last', ['--kubeconfig']],
  ['--kubeconfig with no value, before another flag', ['--kubeconfig', '--workers', '1']],
  ['--kubeconfig=', ['--kubeconfig=']],
])('%s reads the KUBECONFIG chain, as kubectl would', async (_name, flags) => {
  const res = await run(...flags);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain(
    'error [APFBENCH_REMOTE_TARGET]: refusing to send load to https://10.1.2.3:6443',
  );
});

it.each([
  [
    ['--in-cluster', '--kubeconfig', 'k'],
    'error [APFBENCH_BAD_FLAG]: --in-cluster and --kubeconfig each name the cluster to load: give one',
  ],
  [
    ['--context', 'c'],
    'error [APFBENCH_BAD_FLAG]: --context picks a context of a kubeconfig: it needs --kubeconfig',
  ],
  [
    // Outside a pod: no KUBERNETES_SERVICE_HOST.
    ['--in-cluster'],
    'error [APFBENCH_IN_CLUSTER]: no in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set',
  ],
  [
    ['--namespace', 'Not_A_Label', '--kubeconfig'],
    '--namespace spec.namespace: must be a DNS label',
  ],
])('refuses %j before anything starts', async (flags, message) => {
  const res = await run(...flags);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain(message);
});

it('the profile commands use the same chain by default, and refuse --namespace', async () => {
  const diff = await runCli(['profile', 'diff', 'profiles/tight.yaml'], { env });
  expect(diff.code).toBe(2);
  expect(diff.stderr).toContain('refusing to send load to https://10.1.2.3:6443');
  const ns = await runCli(['profile', 'diff', 'profiles/tight.yaml', '--namespace', 'x'], { env });
  expect(ns.code).toBe(2);
  expect(ns.stderr).toContain('--namespace means nothing to profile commands');
});
