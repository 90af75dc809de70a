import type { z } from 'zod';
import { CreateCertificateFromCsrRequest, CreateKeysAndCertificateRequest, RegisterThingRequest } from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { Claim, ProvisioningService } from '../../app/provisioning.service.js';
import type { ReservedRequest, ReservedTopicHandler } from '../../app/reserved-topic.router.js';
import type { MessagePublisher } from '../../domain/message-publisher.port.js';
import { type ProvisioningOutcome, rejection } from '../../domain/provisioning/provisioning.model.js';

type Parsed<T> = { value: T } | { rejected: ReturnType<typeof rejection> };

/**
 * AWS IoT's device provisioning MQTT API: one handler per request topic. Replies go to
 * `{request topic}/accepted` or `/rejected` and reach the requesting connection alone: they carry
 * a private key or an ownership token, which no other subscriber may see.
 */
export function provisioningHandlers(service: ProvisioningService, publisher: MessagePublisher, logger: Logger): ReservedTopicHandler[] {
  const log = logger.child({ component: 'provisioning' });

  /** Runs one request: format, claim and payload checks, then the operation; every failure is answered. */
  const handler = <T>(
    topic: string,
    schema: z.ZodType<T>,
    operation: (claim: Claim, request: T, params: Record<string, string>) => ProvisioningOutcome<unknown> | Promise<ProvisioningOutcome<unknown>>,
  ): ReservedTopicHandler => ({
    topic,
    async handle(request) {
      let outcome: ProvisioningOutcome<unknown>;
      try {
        outcome = await answer(service, request, schema, operation);
      } catch (error) {
        // A fault of the hub (the CA, the store), not of the request: the device still hears back.
        log.error({ err: error, clientId: request.session.clientId, topic: request.topic }, 'provisioning request failed');
        outcome = { rejected: rejection('InternalError', 'internal error') };
      }
      if ('rejected' in outcome) log.info({ clientId: request.session.clientId, topic: request.topic, errorCode: outcome.rejected.errorCode }, 'provisioning request rejected');
      const reply = 'accepted' in outcome ? { topic: `${request.topic}/accepted`, payload: outcome.accepted } : { topic: `${request.topic}/rejected`, payload: outcome.rejected };
      await publisher.publish({ ...reply, requester: request.session.clientId, requesterOnly: true });
    },
  });

  return [
    handler('$aws/certificates/create/{format}', CreateKeysAndCertificateRequest, (claim) => service.createKeysAndCertificate(claim)),
    handler('$aws/certificates/create-from-csr/{format}', CreateCertificateFromCsrRequest, (claim, request) =>
      service.createCertificateFromCsr(claim, request.certificateSigningRequest),
    ),
    handler('$aws/provisioning-templates/{templateName}/provision/{format}', RegisterThingRequest, (claim, request, params) =>
      service.registerThing(claim, params.templateName ?? '', request),
    ),
  ];
}

async function answer<T>(
  service: ProvisioningService,
  request: ReservedRequest,
  schema: z.ZodType<T>,
  operation: (claim: Claim, request: T, params: Record<string, string>) => ProvisioningOutcome<unknown> | Promise<ProvisioningOutcome<unknown>>,
): Promise<ProvisioningOutcome<unknown>> {
  // AWS IoT also serves `cbor`; this hub answers only `json`, and says so rather than staying silent.
  if (request.params.format !== 'json') {
    return { rejected: rejection('UnsupportedPayloadFormat', `payload format ${request.params.format ?? ''} is not supported: use json`) };
  }
  const { session } = request;
  if (!session.claim || !session.certificateId) {
    return { rejected: rejection('AccessDenied', 'fleet provisioning is open only to claim certificates') };
  }
  // Checked on every request, so revoking a claim certificate stops a session that is still open.
  if (!service.claimCertificate(session.certificateId)) {
    return { rejected: rejection('AccessDenied', 'the claim certificate is revoked, expired or its template deleted') };
  }
  const parsed = parsePayload(request.payload, schema);
  if ('rejected' in parsed) return parsed;
  const claim: Claim = { certificateId: session.certificateId, workspaceId: session.workspaceId, templateName: session.claim.templateName };
  return operation(claim, parsed.value, request.params);
}

/** JSON against the contract schema; an empty payload reads as `{}` (CreateKeysAndCertificate's is empty). */
function parsePayload<T>(payload: Buffer, schema: z.ZodType<T>): Parsed<T> {
  let json: unknown;
  try {
    json = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
  } catch {
    return { rejected: rejection('InvalidPayload', 'the payload is not valid JSON') };
  }
  const result = schema.safeParse(json);
  if (result.success) return { value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { rejected: rejection('InvalidPayload', `invalid request: ${where}${issue?.message ?? 'does not match the schema'}`) };
}
