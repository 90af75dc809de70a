import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  certificateId,
  certificateIdFromFingerprint,
  CsrError,
  EmbeddedCertificateAuthority,
} from '../src/index.js';
import { ecCsr, ecCsrWithCurve, GARBAGE_CSR, rsaCsr, withTamperedSignature } from './support/csr.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('EmbeddedCertificateAuthority', () => {
  let dir: string;
  let ca: EmbeddedCertificateAuthority;
  let caCert: X509Certificate;

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'citus-pki-')), 'nested', 'ca');
    ca = await EmbeddedCertificateAuthority.loadOrCreate(dir);
    caCert = new X509Certificate(ca.certificatePem);
  });
  afterAll(() => rmSync(join(dir, '..', '..'), { recursive: true, force: true }));

  describe('loadOrCreate', () => {
    it('creates the CA files, the key readable by its owner only', () => {
      expect(modeOf(join(dir, 'ca.key'))).toBe(0o600);
      expect(modeOf(dir)).toBe(0o700);
      expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(ca.certificatePem);
    });

    it('makes a self-signed EC P-256 CA certificate', () => {
      expect(caCert.ca).toBe(true);
      expect(caCert.subject).toBe('CN=Citus IoT Embedded CA');
      expect(caCert.publicKey.asymmetricKeyType).toBe('ec');
      expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(caCert.verify(caCert.publicKey)).toBe(true);
      expect(createPrivateKey(readFileSync(join(dir, 'ca.key'))).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    });

    it('loads the same CA again, whose key still signs for it', async () => {
      const again = await EmbeddedCertificateAuthority.loadOrCreate(dir);
      expect(again.certificatePem).toBe(ca.certificatePem);
      const issued = await again.signDeviceCsr((await ecCsr()).csrPem, 'after-reload');
      expect(new X509Certificate(issued.certificatePem).verify(caCert.publicKey)).toBe(true);
    });
  });

  describe('signDeviceCsr', () => {
    it('binds the certificate to the thing name, not to the subject the CSR asks for', async () => {
      const { csrPem } = await ecCsr('CN=admin');
      const issued = await ca.signDeviceCsr(csrPem, 'kitchen-sensor-1a2b3c4d');
      const cert = new X509Certificate(issued.certificatePem);
      expect(cert.subject).toBe('CN=kitchen-sensor-1a2b3c4d');
      expect(cert.issuer).toBe(caCert.subject);
    });

    it('issues a client certificate that chains to the CA', async () => {
      const issued = await ca.signDeviceCsr((await ecCsr()).csrPem, 'thing-1');
      const cert = new X509Certificate(issued.certificatePem);
      expect(cert.ca).toBe(false);
      expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.verify(caCert.publicKey)).toBe(true);
    });

    it('certifies the key of the CSR, so the device keeps its private key', async () => {
      const { csrPem, privateKeyPem } = await ecCsr();
      const cert = new X509Certificate((await ca.signDeviceCsr(csrPem, 'thing-2')).certificatePem);
      expect(cert.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
    });

    it('uses the asked validity and reports it, with a fresh serial each time', async () => {
      const { csrPem } = await ecCsr();
      const first = await ca.signDeviceCsr(csrPem, 'thing-3', 30);
      const second = await ca.signDeviceCsr(csrPem, 'thing-3', 30);
      const cert = new X509Certificate(first.certificatePem);
      expect(Math.abs(Date.parse(cert.validTo) - first.notAfter.getTime())).toBeLessThan(1000);
      expect(first.notAfter.getTime() - Date.now()).toBeGreaterThan(29 * DAY_MS);
      expect(first.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(30 * DAY_MS);
      expect(first.serialNumber).not.toBe(second.serialNumber);
      expect(first.certificateId).not.toBe(second.certificateId);
    });

    it('refuses garbage', async () => {
      await expect(ca.signDeviceCsr(GARBAGE_CSR, 'thing')).rejects.toBeInstanceOf(CsrError);
      await expect(ca.signDeviceCsr('hello', 'thing')).rejects.toBeInstanceOf(CsrError);
    });

    it('refuses a CSR whose signature does not verify', async () => {
      const tampered = withTamperedSignature((await ecCsr()).csrPem);
      await expect(ca.signDeviceCsr(tampered, 'thing')).rejects.toThrow(new CsrError('csr signature does not verify'));
    });

    it('refuses an RSA-1024 key', async () => {
      await expect(ca.signDeviceCsr(await rsaCsr(1024), 'thing')).rejects.toThrow(/RSA of at least 2048 bits/);
    });

    it('accepts the keys AWS IoT accepts: RSA-2048 and EC P-384', async () => {
      const rsa = await ca.signDeviceCsr(await rsaCsr(2048), 'rsa-thing');
      expect(new X509Certificate(rsa.certificatePem).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const p384 = await ca.signDeviceCsr(await ecCsrWithCurve('P-384'), 'p384-thing');
      expect(new X509Certificate(p384.certificatePem).publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    });
  });

  describe('issueServerCertificate', () => {
    it('names localhost and 127.0.0.1, for server auth, with a matching key', async () => {
      const server = await ca.issueServerCertificate(['localhost', '127.0.0.1', '::1']);
      const cert = new X509Certificate(server.certificatePem);
      expect(cert.subjectAltName).toContain('DNS:localhost');
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(cert.subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.keyUsage).toEqual([SERVER_AUTH]);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(server.privateKeyPem))).toBe(true);
    });
  });

  describe('signServerCsr', () => {
    it("names the caller's host names, never the CSR's subject, for the CSR's key", async () => {
      const { privateKeyPem, csrPem } = await ecCsr('evil.example');
      const cert = new X509Certificate((await ca.signServerCsr(csrPem, ['hub.example', '10.0.0.7'])).certificatePem);
      expect(cert.subjectAltName).toBe('DNS:hub.example, IP Address:10.0.0.7');
      expect(cert.checkHost('evil.example')).toBeUndefined();
      expect(cert.keyUsage).toEqual([SERVER_AUTH]);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
    });

    it('refuses a CSR that is not one, or whose signature does not verify', async () => {
      await expect(ca.signServerCsr(GARBAGE_CSR, ['localhost'])).rejects.toBeInstanceOf(CsrError);
      const tampered = withTamperedSignature((await ecCsr()).csrPem);
      await expect(ca.signServerCsr(tampered, ['localhost'])).rejects.toThrow(new CsrError('csr signature does not verify'));
    });
  });

  it('serves mutual TLS: the device certificate and the server certificate each verify against the CA', async () => {
    const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
    const device = await ecCsr();
    const issued = await ca.signDeviceCsr(device.csrPem, 'tls-thing');
    const tlsServer = createServer({
      key: server.privateKeyPem,
      cert: server.certificatePem,
      ca: ca.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peer = new Promise<string>((resolve) =>
      tlsServer.on('secureConnection', (socket: TLSSocket) => {
        resolve(socket.getPeerX509Certificate()?.subject ?? '');
        socket.end();
      }),
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = tlsServer.address() as AddressInfo;
      const client = connect({ host: '127.0.0.1', port, key: device.privateKeyPem, cert: issued.certificatePem, ca: ca.certificatePem });
      await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
      expect(client.authorized).toBe(true);
      expect(await peer).toBe('CN=tls-thing');
      client.destroy();
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });
});

describe('certificateId', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-pki-id-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the SHA-256 of the DER, as AWS IoT names certificates, and agrees with node\'s fingerprint', async () => {
    const ca = await EmbeddedCertificateAuthority.loadOrCreate(dir);
    const issued = await ca.signDeviceCsr((await ecCsr()).csrPem, 'id-thing');
    const cert = new X509Certificate(issued.certificatePem);
    const expected = createHash('sha256').update(cert.raw).digest('hex');
    expect(issued.certificateId).toBe(expected);
    expect(certificateId(issued.certificatePem)).toBe(expected);
    expect(certificateIdFromFingerprint(cert.fingerprint256)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

});
