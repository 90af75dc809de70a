import { X509Certificate } from 'node:crypto';
import { Router } from 'express';
import {
  InternalDeviceCsr,
  InternalReleaseLinkRequest,
  type InternalReleaseLink,
  InternalServerCsr,
  InternalThingAttributesRequest,
  InternalThingRegistration,
  type InternalCaCertificate,
  type InternalThingAttributes,
  type InternalRegistrationOutcome,
  type InternalServerCertificate,
  type InternalSignedCertificate,
} from '@citus/contracts';
import { badRequest, forbidden, parse } from '@citus/kit';
import { certificateIdFromFingerprint, CsrError, type EmbeddedCertificateAuthority } from '@citus/pki';
import type { DeviceProvisioningService } from '../../app/device-provisioning.service.js';
import type { DeviceService } from '../../app/device.service.js';
import type { ReleaseService } from '../../app/release.service.js';

export interface InternalRoutesOptions {
  /** The device CA; its key stays in this process, so the hub sends CSRs. */
  ca: EmbeddedCertificateAuthority;
  /** Validity of the client certificates signed for the hub (`CITUS_DEVICE_CERT_DAYS`). */
  deviceCertificateDays: number;
  /** The only names the hub's server certificate may carry: devices trust any name this CA signs. */
  serverHostnames: readonly string[];
  provisioning: Pick<DeviceProvisioningService, 'register'>;
  releases: Pick<ReleaseService, 'createDownloadLink'>;
  devices: Pick<DeviceService, 'attributesOf'>;
}

/**
 * What the hub asks of the device registry when it runs in a process of its own (mounted at
 * `/internal/v1`, behind the service token): the device CA's certificate and signatures,
 * fleet provisioning's RegisterThing, release download links for job documents, and devices'
 * metadata for dynamic thing groups. A leaked service token is the threat kept in mind: it can
 * mint no server certificate for a name devices would trust, and register no certificate this CA
 * did not sign.
 */
export function internalRoutes(options: InternalRoutesOptions): Router {
  const router = Router();
  const { ca } = options;
  const allowed = new Set(options.serverHostnames.map((name) => name.toLowerCase()));

  router.get('/ca', (_req, res) => {
    const answer: InternalCaCertificate = { certificatePem: ca.certificatePem };
    res.json(answer);
  });

  // Client certificates only (clientAuth): the hub accepts one only once the registry has it attached to a thing.
  router.post('/ca/device-certificates', async (req, res) => {
    const { commonName, csr } = parse(InternalDeviceCsr, req.body);
    const issued = await unlessUnusable(() => ca.signDeviceCsr(csr, commonName, options.deviceCertificateDays));
    const answer: InternalSignedCertificate = { certificateId: issued.certificateId, certificatePem: issued.certificatePem, notAfter: issued.notAfter.toISOString() };
    res.set('cache-control', 'no-store').json(answer);
  });

  router.post('/ca/server-certificates', async (req, res) => {
    const { hostnames, csr } = parse(InternalServerCsr, req.body);
    const refused = hostnames.filter((name) => !allowed.has(name.toLowerCase()));
    if (refused.length > 0) {
      throw forbidden(`the hub's server certificate may name only ${[...allowed].join(', ')} (CITUS_MQTT_ENDPOINT and CITUS_HUB_HOSTNAMES of the registry's process), not ${refused.join(', ')}`);
    }
    const answer: InternalServerCertificate = await unlessUnusable(() => ca.signServerCsr(csr, hostnames));
    res.set('cache-control', 'no-store').json(answer);
  });

  // A refused name is the device's answer (a value); a certificate not from this CA is the caller's 400.
  router.post('/provisioned-things', async (req, res) => {
    const { workspaceId, thingName, certificatePem } = parse(InternalThingRegistration, req.body);
    const certificate = issuedBy(ca, certificatePem);
    const outcome = await options.provisioning.register({
      workspaceId,
      thingName,
      certificateId: certificateIdFromFingerprint(certificate.fingerprint256),
      certificatePem,
      notAfter: new Date(certificate.validTo),
    });
    const answer: InternalRegistrationOutcome = outcome.registered ? { registered: true } : { registered: false, reason: outcome.reason };
    res.set('cache-control', 'no-store').json(answer);
  });

  // A download link for a job document the hub sends: only for a thing of the workspace, only a ready artifact.
  router.post('/release-links', async (req, res) => {
    const { workspaceId, releaseId, thingName, expiresInSec } = parse(InternalReleaseLinkRequest, req.body);
    const link = await options.releases.createDownloadLink(workspaceId, releaseId, { thingName, expiresInSec });
    const answer: InternalReleaseLink = { path: link.path };
    res.set('cache-control', 'no-store').json(answer);
  });

  // A group's candidates at once. Names of other workspaces' things are left out, not refused: the
  // list is the hub's, and a thing deleted meanwhile must not fail all of it.
  router.post('/thing-attributes', async (req, res) => {
    const { workspaceId, thingNames } = parse(InternalThingAttributesRequest, req.body);
    const found = await options.devices.attributesOf(workspaceId, thingNames);
    const answer: InternalThingAttributes = { items: [...found].map(([thingName, attributes]) => ({ thingName, attributes })) };
    res.set('cache-control', 'no-store').json(answer);
  });

  return router;
}

/** The CA's refusal of a CSR is the caller's 400, with the CA's reason. */
async function unlessUnusable<T>(sign: () => Promise<T>): Promise<T> {
  try {
    return await sign();
  } catch (error) {
    if (error instanceof CsrError) throw badRequest(error.message);
    throw error;
  }
}

/** Extended key usage `id-kp-clientAuth` (RFC 5280 4.2.1.12). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The certificate, if this CA signed it as a client certificate (only then may it be attached to a thing). */
function issuedBy(ca: EmbeddedCertificateAuthority, pem: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw badRequest('certificatePem is not a PEM certificate');
  }
  const authority = new X509Certificate(ca.certificatePem);
  if (!certificate.checkIssued(authority) || !certificate.verify(authority.publicKey)) throw badRequest('the certificate was not signed by this CA');
  if (!certificate.keyUsage?.includes(CLIENT_AUTH)) throw badRequest('the certificate is not a client certificate');
  return certificate;
}
