import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO, demoFiles, demoServerArgs } from '../../../src/cli/demo.js';
import { repoRoot } from '../../support/cli.js';

describe('demoFiles', () => {
  it('names the bundled files relative to the cwd when it is the package', () => {
    expect(demoFiles('/opt/apfbench/', '/opt/apfbench')).toEqual({
      scenario: 'scenarios/noisy-neighbor.yaml',
      profiles: ['profiles/k8s-defaults.yaml', 'profiles/isolate-tenants.yaml'],
    });
  });

  it('names them by absolute path from anywhere else', () => {
    expect(demoFiles('/opt/apfbench/', '/home/me/work')).toEqual({
      scenario: '/opt/apfbench/scenarios/noisy-neighbor.yaml',
      profiles: [
        '/opt/apfbench/profiles/k8s-defaults.yaml',
        '/opt/apfbench/profiles/isolate-tenants.yaml',
      ],
    });
  });

  it('finds the files of this package from another directory', () => {
    // A directory of its own: tmpdir() itself may hold the clone under test.
    const files = demoFiles(undefined, mkdtempSync(join(tmpdir(), 'apfbench-demo-')));
    expect([files.scenario, ...files.profiles]).toEqual(
      [DEMO.scenario, ...DEMO.profiles].map((f) => join(repoRoot, f)),
    );
    for (const file of [files.scenario, ...files.profiles]) expect(existsSync(file)).toBe(true);
  });
});

describe('demoServerArgs', () => {
  it("gives a control plane it starts the small server, with the user's flags after (they win)", () => {
    expect(demoServerArgs({ 'apiserver-arg': ['max-requests-inflight=40'] })).toEqual([
      'max-requests-inflight=20',
      'max-mutating-requests-inflight=10',
      'max-requests-inflight=40',
    ]);
  });

  it('leaves a cluster given by --kubeconfig as it is', () => {
    expect(demoServerArgs({ kubeconfig: '/k', 'apiserver-arg': [] })).toEqual([]);
  });
});
