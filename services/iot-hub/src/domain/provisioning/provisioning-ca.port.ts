export interface SignedCertificate {
  certificateId: string;
  certificatePem: string;
  notAfter: Date;
}

export type CsrSigning = { signed: SignedCertificate } | { invalid: string };

/** Port: the CA that signs fleet provisioning's device and claim certificates. */
export interface ProvisioningCertificateAuthority {
  /** A new key pair and its certificate; the caller hands the key out once and never keeps it. */
  issueKeyAndCertificate(commonName: string): Promise<SignedCertificate & { privateKeyPem: string }>;
  /** A certificate for the key of a CSR, or why the CSR is unusable. */
  signCsr(csrPem: string, commonName: string): Promise<CsrSigning>;
}
