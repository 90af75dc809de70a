import { CsrError, type EmbeddedCertificateAuthority } from '@citus/pki';
import type { CsrSigning, ProvisioningCertificateAuthority } from '../../domain/provisioning/provisioning-ca.port.js';

/** Fleet provisioning's CA port over the embedded CA; every certificate it signs is a client certificate. */
export class EmbeddedProvisioningCa implements ProvisioningCertificateAuthority {
  constructor(
    private readonly ca: EmbeddedCertificateAuthority,
    private readonly validityDays: number,
  ) {}

  async issueKeyAndCertificate(commonName: string) {
    const issued = await this.ca.issueKeyAndCertificate(commonName, this.validityDays);
    return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter, privateKeyPem: issued.privateKeyPem };
  }

  async signCsr(csrPem: string, commonName: string): Promise<CsrSigning> {
    try {
      const issued = await this.ca.signDeviceCsr(csrPem, commonName, this.validityDays);
      return { signed: { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter } };
    } catch (error) {
      if (error instanceof CsrError) return { invalid: error.message };
      throw error;
    }
  }
}
