// `apfbench agents manifest` is accepted by the real API server: kubectl's server-side dry run
// admits, validates and defaults every object without creating one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentManifest, agentManifestObjects } from '../../src/agent/manifest.js';
import type { LocalCluster } from '../../src/cluster/index.js';
import { ensureNamespaces } from '../../src/engine/fixtures.js';
import { startTestCluster } from '../support/cluster.js';

const run = promisify(execFile);
interface PodSpec {
  containers: { args: string[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
}
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  const admin = cluster.admin();
  await ensureNamespaces(admin, ['apfbench-agents']);
  await admin.transport.close();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('agents manifest', () => {
  it('is accepted by kubectl apply --dry-run=server, as an Indexed Job of N pods', async () => {
    const options = {
      agents: 5,
      coordinator: '10.96.0.20:7681',
      image: 'apfbench:dev',
      namespace: 'apfbench-agents',
      tokenSecret: 'apfbench-agent-token',
      tlsSecret: 'apfbench-agent-tls',
    };
    const kubectl = run(
      'kubectl',
      [
        '--kubeconfig',
        cluster.kubeconfigPath,
        'apply',
        '--dry-run=server',
        '-o',
        'json',
        '-f',
        '-',
      ],
      { maxBuffer: 16 << 20 },
    );
    kubectl.child.stdin!.end(agentManifest(options));
    const { stdout } = await kubectl;
    const applied = JSON.parse(stdout) as {
      items: { kind: string; spec?: Record<string, unknown> }[];
    };
    expect(applied.items.map((i) => i.kind)).toEqual(
      agentManifestObjects(options).map((o) => o.kind),
    );
    const job = applied.items.find((i) => i.kind === 'Job')!;
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 5, parallelism: 5 });
    // With --tls-secret the agents dial over TLS with the Secret's CA and client certificate.
    const pod = (job.spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.containers[0]!.args).toEqual(
      expect.arrayContaining(['--agent-ca', '/var/run/apfbench-tls/ca.crt']),
    );
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({
        name: 'agent-tls',
        secret: expect.objectContaining({ secretName: 'apfbench-agent-tls' }),
      }),
    );
  }, 120_000);
});
