import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateId, EmbeddedCertificateAuthority } from '../src/index.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('EmbeddedCertificateAuthority.issueKeyAndCertificate', () => {
  let dir: string;
  let ca: EmbeddedCertificateAuthority;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-pki-claim-'));
    ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a P-256 key and a client certificate for it, signed by the CA', async () => {
    const issued = await ca.issueKeyAndCertificate('Citus IoT claim batch-7', 30);
    const certificate = new X509Certificate(issued.certificatePem);
    const key = createPrivateKey(issued.privateKeyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(certificate.checkPrivateKey(key)).toBe(true);
    expect(certificate.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(certificate.subject).toBe('CN=Citus IoT claim batch-7');
    expect(certificate.keyUsage).toEqual([CLIENT_AUTH]);
    expect(certificate.ca).toBe(false);
    expect(issued.certificateId).toBe(certificateId(issued.certificatePem));
    const days = (issued.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('makes a different key every time, and keeps none of them', async () => {
    const before = readdirSync(join(dir, 'ca')).sort();
    const [first, second] = await Promise.all([ca.issueKeyAndCertificate('a'), ca.issueKeyAndCertificate('a')]);
    expect(first?.privateKeyPem).not.toBe(second?.privateKeyPem);
    expect(first?.certificateId).not.toBe(second?.certificateId);
    expect(readdirSync(join(dir, 'ca')).sort()).toEqual(before);
  });
});
