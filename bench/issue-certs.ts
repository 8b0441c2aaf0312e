// Figures for issuing node client certificates as `cluster up` does (src/cluster/pki.ts):
// @peculiar/x509 end to end, against ClientCertIssuer with one key pair shared by every node and
// with a key pair each. Prints ms per certificate and the total for 10,000; then what
// `cluster up --nodes <count>` spends on issueCertificates, and the size of its identities.json.
//   npx tsx bench/issue-certs.ts [count]
import { performance } from 'node:perf_hooks';
import { generateIdentities, issueCertificates } from '../src/cluster/identities.js';
import {
  ClientCertIssuer,
  generatePki,
  issueClientCert,
  newClientKey,
} from '../src/cluster/pki.js';

const count = Number(process.argv[2] ?? 2000);
const pki = await generatePki();
const issuer = await ClientCertIssuer.create(pki.ca);
const user = (i: number) => `system:node:node-${String(i).padStart(5, '0')}`;

async function time(label: string, n: number, issue: (i: number) => unknown): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await issue(i);
  const ms = (performance.now() - start) / n;
  console.log(
    `${label.padEnd(40)} ${ms.toFixed(3)} ms each, ${((ms * 10_000) / 1000).toFixed(1)} s for 10,000 (${n} measured)`,
  );
}

await time('@peculiar/x509, a key each', Math.min(count, 200), (i) =>
  issueClientCert(pki, user(i), ['system:nodes']),
);
const shared = newClientKey();
await time('ClientCertIssuer, one shared key', count, (i) =>
  issuer.issue(user(i), ['system:nodes'], shared.spki),
);
await time('ClientCertIssuer, a key each', count, (i) =>
  issuer.issue(user(i), ['system:nodes'], newClientKey().spki),
);

const start = performance.now();
const ids = await issueCertificates(
  generateIdentities({ nodes: count, tenants: 0, serviceAccounts: 0 }),
  pki.ca,
);
const bytes = JSON.stringify(ids, null, 2).length;
console.log(
  `issueCertificates, ${count} nodes: ${((performance.now() - start) / 1000).toFixed(1)} s; identities.json ${(bytes / 2 ** 20).toFixed(1)} MiB`,
);
