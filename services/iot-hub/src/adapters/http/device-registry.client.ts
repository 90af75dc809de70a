import { setTimeout as sleep } from 'node:timers/promises';
import {
  InternalCaCertificate,
  InternalReleaseLink,
  type InternalReleaseLinkRequest,
  InternalRegistrationOutcome,
  InternalServerCertificate,
  InternalSignedCertificate,
  InternalThingAttributes,
  MAX_ATTRIBUTES_BATCH,
  type InternalDeviceCsr,
  type InternalServerCsr,
  type InternalThingAttributesRequest,
  type InternalThingRegistration,
  type ThingAttributes,
} from '@citus/contracts';
import { AppError, InternalApiClient, type InternalApiOptions } from '@citus/kit';
import { CsrError } from '@citus/pki';
import type { DeviceAttributes } from '../../domain/groups/device-attributes.port.js';
import type { HubCertificateAuthority } from '../../domain/hub-ca.port.js';
import type { ThingRegistrar } from '../../domain/provisioning/thing-registrar.port.js';
import type { ReleaseLinks } from '../../domain/jobs/release-links.port.js';

const PEER = 'the device registry';

export interface RemoteCaOptions extends InternalApiOptions {
  /**
   * How long to keep asking for the CA certificate while the registry's process is not up yet
   * (processes of one platform start together); 0 asks once.
   */
  waitMs?: number;
}

/**
 * The device registry's CA over its internal API, for a hub in a process of its own: the CA
 * certificate is fetched once (the hub's TLS needs it before it listens), then only CSRs travel:
 * the hub's keys are made in the hub's process and the CA's key never leaves the registry's. A
 * CSR the CA finds unusable is pki's `CsrError`, as with the CA in process.
 */
export async function remoteCertificateAuthority(options: RemoteCaOptions): Promise<HubCertificateAuthority> {
  const client = new InternalApiClient(options, PEER);
  const { certificatePem } = await fetchCaCertificate(client, options.waitMs ?? 0);
  return {
    certificatePem,
    async signDeviceCsr(csr, commonName) {
      const request: InternalDeviceCsr = { commonName, csr };
      const signed = await signing(() => client.call('POST', '/ca/device-certificates', request, InternalSignedCertificate, ['bad_request']));
      return { certificateId: signed.certificateId, certificatePem: signed.certificatePem, notAfter: new Date(signed.notAfter) };
    },
    async signServerCsr(csr, hostnames) {
      const request: InternalServerCsr = { hostnames, csr };
      return signing(() => client.call('POST', '/ca/server-certificates', request, InternalServerCertificate, ['bad_request']));
    },
  };
}

/**
 * Fleet provisioning's RegisterThing in the device registry's process: the registry reads the
 * certificate's id and expiry from the certificate itself, and answers a refused name as a value.
 */
export function remoteThingRegistrar(options: InternalApiOptions): ThingRegistrar {
  const client = new InternalApiClient(options, PEER);
  return {
    registerThing: async ({ workspaceId, thingName, certificatePem }) => {
      const request: InternalThingRegistration = { workspaceId, thingName, certificatePem };
      return client.call('POST', '/provisioned-things', request, InternalRegistrationOutcome);
    },
  };
}

/** Release download links for job documents, made by the registry's release service. */
export function remoteReleaseLinks(options: InternalApiOptions): ReleaseLinks {
  const client = new InternalApiClient(options, PEER);
  return {
    linkFor: async (workspaceId, releaseId, thingName, expiresInSec) => {
      const request: InternalReleaseLinkRequest = { workspaceId, releaseId, thingName, expiresInSec };
      return (await client.call('POST', '/release-links', request, InternalReleaseLink, ['not_found', 'conflict'])).path;
    },
  };
}

/**
 * Devices' metadata for dynamic thing groups, from the registry's internal route: one request per
 * group evaluated (in parts of at most `MAX_ATTRIBUTES_BATCH` names), never one per device. A
 * registry that cannot answer is `unavailable` (503), naming it: a group is not shown as if no
 * device had attributes.
 */
export function remoteDeviceAttributes(options: InternalApiOptions): DeviceAttributes {
  const client = new InternalApiClient(options, PEER);
  return {
    async attributesOf(workspaceId, thingNames) {
      const found = new Map<string, ThingAttributes>();
      for (let start = 0; start < thingNames.length; start += MAX_ATTRIBUTES_BATCH) {
        const request: InternalThingAttributesRequest = { workspaceId, thingNames: thingNames.slice(start, start + MAX_ATTRIBUTES_BATCH) };
        const { items } = await client.call('POST', '/thing-attributes', request, InternalThingAttributes);
        for (const item of items) found.set(item.thingName, item.attributes);
      }
      return found;
    },
  };
}

async function fetchCaCertificate(client: InternalApiClient, waitMs: number): Promise<InternalCaCertificate> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await client.call('GET', '/ca', undefined, InternalCaCertificate);
    } catch (error) {
      if (Date.now() >= until) throw error;
      await sleep(1_000);
    }
  }
}

/** The CA's 400 is about the CSR (a malformed request would be this code's bug, not the device's). */
async function signing<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError && error.code === 'bad_request') throw new CsrError(error.message);
    throw error;
  }
}
