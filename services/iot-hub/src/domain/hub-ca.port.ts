/** A client certificate the CA signed. */
export interface SignedClientCertificate {
  certificateId: string;
  certificatePem: string;
  notAfter: Date;
}

/**
 * Port: what the hub needs of the device CA, which the device registry owns: its certificate (for
 * the hub's TLS trust) and signatures for keys the hub made itself, so the CA's key stays with the
 * registry. Adapters: the embedded CA of `@citus/pki` as it is (same process), and the registry's
 * CA over the internal API (`remoteCertificateAuthority`). An unusable CSR rejects with pki's
 * `CsrError`, whichever adapter answers.
 */
export interface HubCertificateAuthority {
  readonly certificatePem: string;
  /** A client certificate for the CSR's key, with CN = `commonName` (the CSR's own subject is ignored). */
  signDeviceCsr(csrPem: string, commonName: string): Promise<SignedClientCertificate>;
  /** The hub's TLS server certificate for the CSR's key, naming `hostnames`. */
  signServerCsr(csrPem: string, hostnames: string[]): Promise<{ certificatePem: string }>;
}
