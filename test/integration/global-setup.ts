import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../../src/cluster/index.js';

/**
 * Integration and end-to-end tests run against a real kube-apiserver and etcd.
 * Build (or find in the cache) the binaries once, before any test's timeout
 * starts ticking, and compile the CLI that the end-to-end tests spawn.
 */
export default async function setup(): Promise<void> {
  const bins = await resolveBinaries({
    onProgress: (line) => console.log(`[control-plane] ${line}`),
  });
  console.log(`[control-plane] kube-apiserver: ${bins.apiserver} (${bins.source})`);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
