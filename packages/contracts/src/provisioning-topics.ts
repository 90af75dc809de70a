import type { z } from 'zod';
import type { MqttTopicSpec } from './mqtt-topic.js';
import {
  CreateCertificateFromCsrRequest,
  CreateCertificateFromCsrResponse,
  CreateKeysAndCertificateRequest,
  CreateKeysAndCertificateResponse,
  ProvisioningRejection,
  RegisterThingRequest,
  RegisterThingResponse,
} from './provisioning.schema.js';

const CLAIM_ONLY =
  'Open only to a claim certificate (`POST /api/v1/provisioning-templates/{name}/claim-certificates`). ' +
  'Replies reach the requesting connection alone, even if it did not subscribe: they carry secrets.';

/** One request topic and its `/accepted` and `/rejected` replies. */
function operation(
  id: string,
  address: string,
  summary: string,
  request: z.ZodType | undefined,
  accepted: z.ZodType,
  description: string,
): MqttTopicSpec[] {
  return [
    { id, address, direction: 'device-sends', summary, description: `${description} ${CLAIM_ONLY}`, payload: request },
    { id: `${id}Accepted`, address: `${address}/accepted`, direction: 'hub-sends', summary: `${summary}: accepted`, payload: accepted },
    {
      id: `${id}Rejected`,
      address: `${address}/rejected`,
      direction: 'hub-sends',
      summary: `${summary}: rejected`,
      description: '`statusCode` is an HTTP status; `errorCode` one of InvalidPayload, InvalidCertificateOwnershipToken, ' +
        'InvalidParameters, ResourceNotFound, ResourceAlreadyExists, AccessDenied, Throttling, InternalError.',
      payload: ProvisioningRejection,
    },
  ];
}

/** AWS IoT fleet provisioning by claim (the `iotidentity` client of the AWS IoT Device SDK v2), `json` format only. */
export const PROVISIONING_TOPICS: MqttTopicSpec[] = [
  ...operation(
    'createKeysAndCertificate',
    '$aws/certificates/create/json',
    'CreateKeysAndCertificate: a new key pair and certificate',
    CreateKeysAndCertificateRequest,
    CreateKeysAndCertificateResponse,
    'Empty payload. The certificate is PENDING_ACTIVATION until RegisterThing succeeds with its ownership token, ' +
      'valid one hour. The hub makes the private key because the AWS API does; prefer create-from-csr, which keeps ' +
      'the key on the device. The hub never stores the key.',
  ),
  ...operation(
    'createCertificateFromCsr',
    '$aws/certificates/create-from-csr/json',
    'CreateCertificateFromCsr: a certificate for the device\'s own key (recommended)',
    CreateCertificateFromCsrRequest,
    CreateCertificateFromCsrResponse,
    'The CSR\'s key must be EC P-256/P-384 or RSA of at least 2048 bits. The certificate is PENDING_ACTIVATION ' +
      'until RegisterThing succeeds with its ownership token, valid one hour.',
  ),
  ...operation(
    'registerThing',
    '$aws/provisioning-templates/{templateName}/provision/json',
    'RegisterThing: create the thing from the template and activate the certificate',
    RegisterThingRequest,
    RegisterThingResponse,
    'The template must be the claim certificate\'s. The thing name is the template\'s prefix followed by its ' +
      'thing-name parameter; the ownership token is single use.',
  ),
];
