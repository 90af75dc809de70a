import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The package under test first: it loads the Reflect polyfill and sets the crypto provider.
import { createCsr, EmbeddedCertificateAuthority, generateKeyPair, privateKeyToPem } from '../src/index.js';
import * as x509 from '@peculiar/x509';

const spkiOf = (csrPem: string): string =>
  Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData).toString('hex');

describe('createCsr', () => {
  let dir: string;
  let ca: EmbeddedCertificateAuthority;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citus-pki-csr-'));
    ca = await EmbeddedCertificateAuthority.loadOrCreate(join(dir, 'ca'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the given common name and carries a valid self-signature', async () => {
    const keys = await generateKeyPair();
    const csr = new x509.Pkcs10CertificateRequest(await createCsr('thing-7', keys));
    expect(csr.subject).toBe('CN=thing-7');
    expect(await csr.verify()).toBe(true);
  });

  it('makes CSRs of different names for one key pair, each signable into a certificate for that key', async () => {
    const keys = await generateKeyPair();
    const privateKeyPem = await privateKeyToPem(keys.privateKey);
    const [first, second] = await Promise.all([createCsr('thing-a', keys), createCsr('thing-b', keys)]);
    expect(first).not.toBe(second);
    expect(spkiOf(first as string)).toBe(spkiOf(second as string));
    for (const [name, csrPem] of [['thing-a', first], ['thing-b', second]] as const) {
      const issued = await ca.signDeviceCsr(csrPem as string, name);
      const certificate = new X509Certificate(issued.certificatePem);
      expect(certificate.subject).toBe(`CN=${name}`);
      expect(certificate.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
      expect(certificate.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
        createPublicKey(privateKeyPem).export({ format: 'der', type: 'spki' }),
      );
    }
  });
});
