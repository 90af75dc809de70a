import { CsrError, type EmbeddedCertificateAuthority } from '@citus/pki';
import { type CertificateAuthority, InvalidCsrError } from '../../domain/device.model.js';

/** The device-lifecycle's CA port over the embedded CA. */
export class EmbeddedCaAdapter implements CertificateAuthority {
  constructor(
    private readonly ca: EmbeddedCertificateAuthority,
    private readonly validityDays: number,
  ) {}

  get certificatePem(): string {
    return this.ca.certificatePem;
  }

  async signDeviceCsr(csrPem: string, thingName: string) {
    try {
      const issued = await this.ca.signDeviceCsr(csrPem, thingName, this.validityDays);
      return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter };
    } catch (error) {
      if (error instanceof CsrError) throw new InvalidCsrError(error.message);
      throw error;
    }
  }
}
