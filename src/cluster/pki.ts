import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface ClusterPki {
  /** Self-signed CA that signs the serving certificate and client certificates. */
  readonly ca: KeyPairPem;
  /** Serving certificate for 127.0.0.1, ::1 and localhost. */
  readonly serving: KeyPairPem;
  /** Key pair the API server signs and verifies service-account tokens with. */
  readonly serviceAccount: { readonly publicKey: string; readonly privateKey: string };
}

async function exportKey(key: webcrypto.CryptoKey, format: 'pkcs8' | 'spki'): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey(format, key as webcrypto.CryptoKey));
  const label = format === 'pkcs8' ? 'PRIVATE KEY' : 'PUBLIC KEY';
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as unknown as webcrypto.CryptoKeyPair;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + days * 86_400_000) };
}

/** A self-signed CA named `name`, its keys and its PEM. */
async function newCa(
  name: string,
  days: number,
): Promise<{ cert: x509.X509Certificate; keys: webcrypto.CryptoKeyPair; pem: KeyPairPem }> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    ...validity(days),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert,
    keys,
    pem: { cert: cert.toString('pem'), key: await exportKey(keys.privateKey, 'pkcs8') },
  };
}

/** Everything the local control plane needs; nothing leaves the cluster directory. */
export async function generatePki(days = 365): Promise<ClusterPki> {
  const { cert: caCert, keys: caKeys, pem: ca } = await newCa('apfbench-ca', days);
  const serving = await issue(ca, caCert, caKeys, {
    subject: 'CN=kube-apiserver',
    serverAuth: true,
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ips: ['127.0.0.1', '::1'],
    days,
  });
  const saKeys = await newKeys();
  return {
    ca,
    serving,
    serviceAccount: {
      publicKey: await exportKey(saKeys.publicKey, 'spki'),
      privateKey: await exportKey(saKeys.privateKey, 'pkcs8'),
    },
  };
}

/**
 * A CA of its own and a serving certificate it signed for 127.0.0.1, ::1 and localhost: for a
 * server apfbench runs on loopback for the API server to call (the admission webhooks it hosts,
 * whose configuration carries the CA as its `caBundle`). Held in memory only.
 */
export async function generateLoopbackServing(
  name: string,
  days = 7,
): Promise<{ readonly ca: KeyPairPem; readonly serving: KeyPairPem }> {
  const { cert: caCert, keys: caKeys, pem: ca } = await newCa(`${name}-ca`, days);
  const serving = await issue(ca, caCert, caKeys, {
    subject: `CN=${name}`,
    serverAuth: true,
    dns: ['localhost'],
    ips: ['127.0.0.1', '::1'],
    days,
  });
  return { ca, serving };
}

/**
 * Issues a client certificate signed by the cluster CA. The API server maps
 * CN to the user name and O to groups.
 */
export async function issueClientCert(
  pki: Pick<ClusterPki, 'ca'>,
  user: string,
  groups: readonly string[],
  days = 365,
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(pki.ca.cert);
  const caPrivate = await importPrivateKey(pki.ca.key);
  const subject = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', ');
  return issue(
    pki.ca,
    caCert,
    { privateKey: caPrivate, publicKey: await caCert.publicKey.export() },
    {
      subject,
      serverAuth: false,
      days,
    },
  );
}

async function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return (await webcrypto.subtle.importKey('pkcs8', der, alg, true, [
    'sign',
  ])) as unknown as webcrypto.CryptoKey;
}

async function issue(
  _ca: KeyPairPem,
  caCert: x509.X509Certificate,
  caKeys: webcrypto.CryptoKeyPair,
  opts: { subject: string; serverAuth: boolean; dns?: string[]; ips?: string[]; days: number },
): Promise<KeyPairPem> {
  const keys = await newKeys();
  const names = [
    ...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: opts.subject,
    issuer: caCert.subject,
    ...validity(opts.days),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        opts.serverAuth ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey, 'pkcs8') };
}
