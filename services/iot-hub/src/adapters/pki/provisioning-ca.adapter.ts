import { createKeyAndCsr, CsrError } from '@citus/pki';
import type { HubCertificateAuthority } from '../../domain/hub-ca.port.js';
import type { CsrSigning, ProvisioningCertificateAuthority } from '../../domain/provisioning/provisioning-ca.port.js';

/**
 * Fleet provisioning's CA port over the device CA; every certificate it signs is a client
 * certificate. Keys the platform makes (claim certificates, CreateKeysAndCertificate) are made
 * here, in the hub's process, so only a CSR travels to the CA when it runs elsewhere.
 */
export class HubProvisioningCa implements ProvisioningCertificateAuthority {
  constructor(private readonly ca: HubCertificateAuthority) {}

  async issueKeyAndCertificate(commonName: string) {
    const { privateKeyPem, csrPem } = await createKeyAndCsr(commonName);
    const issued = await this.ca.signDeviceCsr(csrPem, commonName);
    return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter, privateKeyPem };
  }

  async signCsr(csrPem: string, commonName: string): Promise<CsrSigning> {
    try {
      const issued = await this.ca.signDeviceCsr(csrPem, commonName);
      return { signed: { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter } };
    } catch (error) {
      if (error instanceof CsrError) return { invalid: error.message };
      throw error;
    }
  }
}
