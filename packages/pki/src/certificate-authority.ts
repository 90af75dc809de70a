import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// keys.js comes first: it loads the Reflect polyfill that @peculiar/x509 needs.
import { certificateId, createKeyAndCsr, generateKeyPair, privateKeyFromPem, privateKeyToPem, SIGNING } from './keys.js';
import * as x509 from '@peculiar/x509';

const DAY_MS = 86_400_000;
const CA_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca.key';

export class CsrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsrError';
  }
}

export interface IssuedCertificate {
  certificateId: string;
  certificatePem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** A positive 128-bit serial, as RFC 5280 4.1.2.2 asks (unique, at most 20 octets, positive). */
const newSerial = (): string => `7${randomBytes(16).toString('hex').slice(1)}`;

/**
 * The embedded certificate authority: an EC P-256 key and self-signed certificate kept in the data
 * dir (key file mode 0600), made on first start. It signs device CSRs and the hub's server certificate.
 */
export class EmbeddedCertificateAuthority {
  private constructor(
    readonly certificate: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  static async loadOrCreate(dir: string, commonName = 'Citus IoT Embedded CA'): Promise<EmbeddedCertificateAuthority> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const certFile = join(dir, CA_FILE);
    const keyFile = join(dir, CA_KEY_FILE);
    // The certificate is written last, so with it present the pair is whole; a key alone means a
    // first start died half way, before anything was signed, and the CA is made afresh. A
    // certificate without its key cannot sign for the devices that trust it: that needs a person.
    if (existsSync(certFile) && !existsSync(keyFile)) {
      throw new Error(`${certFile} exists but its key ${keyFile} is missing: restore the key from a backup`);
    }
    if (existsSync(certFile)) {
      const key = await privateKeyFromPem(readFileSync(keyFile, 'utf8'));
      return new EmbeddedCertificateAuthority(new x509.X509Certificate(readFileSync(certFile, 'utf8')), key);
    }
    const keys = await generateKeyPair();
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerial(),
      name: `CN=${commonName}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * 365 * DAY_MS),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writeAtomically(keyFile, await privateKeyToPem(keys.privateKey), 0o600);
    writeAtomically(certFile, certificate.toString('pem'), 0o644);
    const key = await privateKeyFromPem(readFileSync(keyFile, 'utf8'));
    return new EmbeddedCertificateAuthority(certificate, key);
  }

  get certificatePem(): string {
    return this.certificate.toString('pem');
  }

  /**
   * Signs a device's CSR after checking its self-signature. The subject is the platform's choice,
   * never the CSR's: CN = the thing name, so a certificate is bound to exactly one thing.
   */
  async signDeviceCsr(csrPem: string, thingName: string, validityDays = 365): Promise<IssuedCertificate> {
    const csr = parseCsr(csrPem);
    if (!(await csr.verify())) throw new CsrError('csr signature does not verify');
    checkKey(csr.publicKey.algorithm);
    return this.issue({
      subject: `CN=${thingName}`,
      publicKey: csr.publicKey,
      validityDays,
      usage: x509.KeyUsageFlags.digitalSignature,
      extendedUsage: [x509.ExtendedKeyUsage.clientAuth],
    });
  }

  /**
   * A new key pair and a client certificate for it, for the two cases where the platform, not the
   * device, makes the key: fleet provisioning's claim certificates (shared by a batch of devices at
   * manufacture) and AWS IoT's CreateKeysAndCertificate. The caller hands the key out once and
   * never stores it.
   */
  async issueKeyAndCertificate(commonName: string, validityDays = 365): Promise<IssuedCertificate & { privateKeyPem: string }> {
    const { privateKeyPem, csrPem } = await createKeyAndCsr(commonName);
    return { ...(await this.signDeviceCsr(csrPem, commonName, validityDays)), privateKeyPem };
  }

  /** A TLS server certificate for the hub, with the given DNS names and IP addresses. */
  async issueServerCertificate(hostnames: string[]): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const keys = await generateKeyPair();
    const issued = await this.issueServer(keys.publicKey, hostnames);
    return { certificatePem: issued.certificatePem, privateKeyPem: await privateKeyToPem(keys.privateKey) };
  }

  /**
   * A TLS server certificate for the key of a CSR, for a hub whose key stays in its own process
   * (the CA's key stays in this one). The names are the caller's list, never the CSR's: which
   * names may be asked for is the caller's policy to check before.
   */
  async signServerCsr(csrPem: string, hostnames: string[]): Promise<{ certificatePem: string }> {
    const csr = parseCsr(csrPem);
    if (!(await csr.verify())) throw new CsrError('csr signature does not verify');
    checkKey(csr.publicKey.algorithm);
    const issued = await this.issueServer(csr.publicKey, hostnames);
    return { certificatePem: issued.certificatePem };
  }

  private issueServer(publicKey: x509.PublicKey | CryptoKey, hostnames: string[]): Promise<IssuedCertificate> {
    const names = hostnames.map((value) => ({ type: isIp(value) ? ('ip' as const) : ('dns' as const), value }));
    return this.issue({
      subject: `CN=${hostnames[0] ?? 'localhost'}`,
      publicKey,
      validityDays: 90,
      usage: x509.KeyUsageFlags.digitalSignature,
      extendedUsage: [x509.ExtendedKeyUsage.serverAuth],
      extra: [new x509.SubjectAlternativeNameExtension(names)],
    });
  }

  private async issue(params: {
    subject: string;
    publicKey: x509.PublicKey | CryptoKey;
    validityDays: number;
    usage: number;
    extendedUsage: string[];
    extra?: x509.Extension[];
  }): Promise<IssuedCertificate> {
    const now = Date.now();
    const notBefore = new Date(now - 60_000);
    const notAfter = new Date(now + params.validityDays * DAY_MS);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: newSerial(),
      subject: params.subject,
      issuer: this.certificate.subject,
      notBefore,
      notAfter,
      publicKey: params.publicKey,
      signingKey: this.key,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(params.usage, true),
        new x509.ExtendedKeyUsageExtension(params.extendedUsage),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
        await x509.SubjectKeyIdentifierExtension.create(params.publicKey),
        ...(params.extra ?? []),
      ],
    });
    return {
      certificateId: certificateId(certificate),
      certificatePem: certificate.toString('pem'),
      serialNumber: certificate.serialNumber,
      notBefore,
      notAfter,
    };
  }
}

/** Write to a temporary file, then rename: a crash leaves the old file or the new one, never half. */
function writeAtomically(file: string, content: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}

function parseCsr(pem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw new CsrError('csr is not a valid PKCS#10 certificate request');
  }
}

/** Only keys AWS IoT also accepts for device certificates: EC P-256/P-384, RSA of 2048 bits or more. */
function checkKey(algorithm: Algorithm): void {
  const ec = algorithm as EcKeyAlgorithm;
  if (ec.name === 'ECDSA' && ['P-256', 'P-384'].includes(ec.namedCurve)) return;
  const rsa = algorithm as RsaHashedKeyAlgorithm;
  if (rsa.name === 'RSASSA-PKCS1-v1_5' && rsa.modulusLength >= 2048) return;
  throw new CsrError('csr key must be EC P-256/P-384 or RSA of at least 2048 bits');
}

const isIp = (value: string): boolean => /^[\d.]+$/.test(value) || value.includes(':');
