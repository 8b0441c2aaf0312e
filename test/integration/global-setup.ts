import { resolveBinaries } from '../../src/cluster/index.js';

/**
 * Integration tests run against a real kube-apiserver and etcd. Build (or find
 * in the cache) the binaries once, before any test's timeout starts ticking.
 */
export default async function setup(): Promise<void> {
  const bins = await resolveBinaries({ onProgress: (line) => console.log(`[control-plane] ${line}`) });
  console.log(`[control-plane] kube-apiserver: ${bins.apiserver} (${bins.source})`);
}
