// @peculiar/x509 resolves its ASN.1 parsers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
}

/** AWS IoT names a certificate by the SHA-256 of its DER encoding, in lowercase hex. */
export function certificateId(certificate: x509.X509Certificate | string): string {
  const cert = typeof certificate === 'string' ? new x509.X509Certificate(certificate) : certificate;
  return createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
}

/** Node's `fingerprint256` ("AB:CD:...") as a certificate id. */
export function certificateIdFromFingerprint(fingerprint256: string): string {
  return fingerprint256.replaceAll(':', '').toLowerCase();
}

/**
 * A CSR for `keys` with subject `CN=<commonName>`, self-signed to prove possession of the private
 * key. Many CSRs may share one key pair: a load test's simulated fleet does, since the thing name
 * (the certificate's CN) must differ per device but a fresh key each would cost a key generation.
 */
export async function createCsr(commonName: string, keys: CryptoKeyPair): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: SIGNING });
  return csr.toString('pem');
}

/**
 * A device's side of activation: a fresh P-256 key pair that stays where it was made, and a CSR
 * that proves possession of it.
 */
export async function createKeyAndCsr(commonName: string): Promise<{ privateKeyPem: string; csrPem: string }> {
  const keys = await generateKeyPair();
  return { privateKeyPem: await privateKeyToPem(keys.privateKey), csrPem: await createCsr(commonName, keys) };
}
