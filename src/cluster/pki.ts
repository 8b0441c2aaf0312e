import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
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
  return pem(format === 'pkcs8' ? 'PRIVATE KEY' : 'PUBLIC KEY', der);
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

/**
 * Issues client certificates signed by the cluster CA, thousands of them: what `cluster up` gives
 * every node and component. The CA's and a template certificate's fixed parts (issuer, validity,
 * extensions, algorithms) are DER-encoded once by @peculiar/x509; each certificate only swaps in
 * its serial, subject and public key and is signed with node:crypto. On a busy 2-core machine
 * @peculiar/x509 took 21 ms a certificate (its ASN.1 encoder and WebCrypto; 212 s for 10,000),
 * this 0.26 ms (`npx tsx bench/issue-certs.ts 10000`; README, "The local control plane").
 */
export class ClientCertIssuer {
  private constructor(
    private readonly caKey: KeyObject,
    /** The template's TBSCertificate fields: version, serial, sigAlg, issuer, validity, ... */
    private readonly fields: readonly Buffer[],
    /** AlgorithmIdentifier of the CA's signature (ecdsa-with-SHA256). */
    private readonly signatureAlgorithm: Buffer,
  ) {}

  /** An issuer for `ca`'s certificates, valid `days` from now. */
  static async create(ca: KeyPairPem, days = 365): Promise<ClientCertIssuer> {
    const template = await issueClientCert({ ca }, 'template', [], days);
    const [tbs, signatureAlgorithm] = derChildren(
      derChildren(new x509.X509Certificate(template.cert).rawData)[0]!.body,
    );
    return new ClientCertIssuer(
      createPrivateKey(ca.key),
      derChildren(tbs!.body).map((f) => f.der),
      signatureAlgorithm!.der,
    );
  }

  /**
   * A certificate (PEM) for `user` (CN) in `groups` (an O each, as the API server reads them) on
   * the public key `spki` (SubjectPublicKeyInfo DER, as `newClientKey` gives), with a random serial.
   */
  issue(user: string, groups: readonly string[], spki: Buffer): string {
    const [version, , algorithm, issuer, validity, , , extensions] = this.fields;
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x01; // a positive INTEGER, without a leading zero byte
    const tbs = der(0x30, [
      version!,
      der(0x02, [serial]),
      algorithm!,
      issuer!,
      validity!,
      distinguishedName(user, groups),
      spki,
      extensions!,
    ]);
    const signature = sign('sha256', tbs, { key: this.caKey, dsaEncoding: 'der' });
    const cert = der(0x30, [
      tbs,
      this.signatureAlgorithm,
      der(0x03, [Buffer.from([0]), signature]),
    ]);
    return pem('CERTIFICATE', cert);
  }
}

/** A fresh P-256 key pair: the private key as PKCS#8 PEM, the public key as `issue` takes it. */
export function newClientKey(): { readonly key: string; readonly spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

/** Subject `CN=<user>, O=<group>...`: one RDN each, UTF8String values. */
function distinguishedName(user: string, groups: readonly string[]): Buffer {
  const rdn = (oid: number, value: string) =>
    der(0x31, [
      der(0x30, [der(0x06, [Buffer.from([0x55, 0x04, oid])]), der(0x0c, [Buffer.from(value)])]),
    ]);
  return der(0x30, [rdn(0x03, user), ...groups.map((g) => rdn(0x0a, g))]);
}

/** One DER value: `tag`, its definite length, and `parts` as its content. */
function der(tag: number, parts: readonly Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

/** The DER values in `content` (a constructed value's content), each whole and as its content. */
function derChildren(content: ArrayBuffer | Buffer): { der: Buffer; body: Buffer }[] {
  const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const out: { der: Buffer; body: Buffer }[] = [];
  let at = 0;
  while (at < buf.length) {
    let length = buf[at + 1]!;
    let header = 2;
    if (length & 0x80) {
      const bytes = length & 0x7f;
      length = 0;
      for (let i = 0; i < bytes; i++) length = length * 256 + buf[at + 2 + i]!;
      header += bytes;
    }
    const end = at + header + length;
    out.push({ der: buf.subarray(at, end), body: buf.subarray(at + header, end) });
    at = end;
  }
  return out;
}

function pem(label: string, der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
