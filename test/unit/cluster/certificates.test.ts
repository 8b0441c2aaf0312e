import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateIdentities,
  issueCertificates,
  readIdentitiesFile,
  type IdentitiesFile,
} from '../../../src/cluster/identities.js';
import {
  ClientCertIssuer,
  generatePki,
  newClientKey,
  type ClusterPki,
} from '../../../src/cluster/pki.js';

let pki: ClusterPki;
let ca: X509Certificate;

beforeAll(async () => {
  pki = await generatePki();
  ca = new X509Certificate(pki.ca.cert);
});

describe('ClientCertIssuer', () => {
  it('issues a client certificate the CA signed, with the user as CN and each group as O', async () => {
    const issuer = await ClientCertIssuer.create(pki.ca, 30);
    const key = newClientKey();
    const cert = new X509Certificate(
      issuer.issue('system:node:node-00042', ['system:nodes', 'extra'], key.spki),
    );
    expect(cert.subject).toBe('CN=system:node:node-00042\nO=system:nodes\nO=extra');
    expect(cert.issuer).toBe(ca.subject);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(key.key))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
  });

  it('gives every certificate its own serial', async () => {
    const issuer = await ClientCertIssuer.create(pki.ca);
    const { spki } = newClientKey();
    const serials = new Set(
      Array.from(
        { length: 50 },
        (_, i) => new X509Certificate(issuer.issue(`u-${i}`, [], spki)).serialNumber,
      ),
    );
    expect(serials.size).toBe(50);
  });

  it('encodes long names (lengths past 127 and 255 bytes)', async () => {
    const issuer = await ClientCertIssuer.create(pki.ca);
    const user = `system:node:${'n'.repeat(300)}`;
    const cert = new X509Certificate(issuer.issue(user, ['system:nodes'], newClientKey().spki));
    expect(cert.subject).toBe(`CN=${user}\nO=system:nodes`);
    expect(cert.verify(ca.publicKey)).toBe(true);
  });
});

describe('issueCertificates', () => {
  let ids: IdentitiesFile;
  beforeAll(async () => {
    ids = await issueCertificates(
      generateIdentities({ nodes: 3, tenants: 1, serviceAccounts: 1 }),
      pki.ca,
    );
  });

  it('gives every node a certificate on one shared key, and every component its own key', () => {
    const nodeKey = createPrivateKey(ids.nodeKey!);
    for (const node of ids.nodes) {
      const cert = new X509Certificate(node.cert!);
      expect(cert.subject).toBe(`CN=system:node:${node.nodeName}\nO=system:nodes`);
      expect(cert.checkPrivateKey(nodeKey)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
    }
    expect(ids.components.map((c) => new X509Certificate(c.cert!).subject)).toEqual([
      'CN=system:kube-scheduler',
      'CN=system:kube-controller-manager',
    ]);
    const [scheduler, manager] = ids.components;
    expect(
      new X509Certificate(scheduler!.cert!).checkPrivateKey(createPrivateKey(scheduler!.key!)),
    ).toBe(true);
    expect(createPublicKey(scheduler!.key!).export({ format: 'jwk' })).not.toEqual(
      createPublicKey(manager!.key!).export({ format: 'jwk' }),
    );
  });

  it('keeps every token: a node can still authenticate either way', () => {
    expect(ids.nodes.every((n) => n.token.length > 0)).toBe(true);
    expect(ids.tenants[0]).not.toHaveProperty('cert');
  });

  it('round-trips through identities.json, and refuses a certificate that is not PEM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apfbench-certs-'));
    const path = join(dir, 'identities.json');
    await writeFile(path, JSON.stringify(ids, null, 2));
    expect(await readIdentitiesFile(path)).toEqual(ids);
    await writeFile(path, JSON.stringify({ ...ids, nodeKey: 'not a key' }, null, 2));
    await expect(readIdentitiesFile(path)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_IDENTITIES',
      message: expect.stringMatching(/nodeKey: must be PEM/),
    });
  });
});
