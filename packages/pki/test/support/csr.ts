import { webcrypto } from 'node:crypto';
// The package under test first: it loads the Reflect polyfill and sets the crypto provider.
import { createKeyAndCsr } from '../../src/index.js';
import * as x509 from '@peculiar/x509';

/** Object mothers for certificate requests, good and bad. */

export const ecCsr = (subject = 'CN=chosen-by-the-device'): Promise<{ privateKeyPem: string; csrPem: string }> =>
  createKeyAndCsr(subject.replace(/^CN=/, ''));

export async function ecCsrWithCurve(namedCurve: 'P-256' | 'P-384'): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=curve-test',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384' },
  });
  return csr.toString('pem');
}

export async function rsaCsr(modulusLength: number): Promise<string> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=rsa-device', keys, signingAlgorithm: algorithm });
  return csr.toString('pem');
}

/** A well-formed CSR whose self-signature no longer verifies: one bit of the signature flipped. */
export function withTamperedSignature(csrPem: string): string {
  const der = new Uint8Array(x509.PemConverter.decodeFirst(csrPem));
  // The signature BIT STRING ends the DER; its last byte is the last byte of the ECDSA `s`.
  der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
  return x509.PemConverter.encode(der.buffer, 'CERTIFICATE REQUEST');
}

export const GARBAGE_CSR = '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n';
