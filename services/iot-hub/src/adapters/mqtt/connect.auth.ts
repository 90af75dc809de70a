import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AuthenticateError, Client } from 'aedes';
import type { BearerResolver, Logger } from '@citus/kit';
import { certificateIdFromFingerprint } from '@citus/pki';
import type { AccessDecider } from '../../domain/access.port.js';
import type { CertificateDirectory, Requester, ThingDirectory } from '../../domain/device-session.model.js';

// CONNACK return codes of MQTT 3.1.1 (3.2.2.3); aedes maps them to MQTT 5 reason codes.
const IDENTIFIER_REJECTED = 2;
export const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export function refuse(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export interface ConnectAuthDeps {
  certificates: CertificateDirectory;
  things: ThingDirectory;
  access: AccessDecider;
  people?: BearerResolver;
  logger: Logger;
}

/** Who a CONNECT may open a session as, or why it is refused. */
export type ConnectOutcome =
  | { requester: Requester & { ipAddress: string }; expiresAt?: number }
  | { refusal: AuthenticateError };

/**
 * A CONNECT over TLS: the certificate was already checked against the platform CA in the
 * handshake. Here it must be an active device certificate (or a claim certificate), and the policy
 * must allow `iot:Connect` with this client id — for a device, its thing name — and publishing
 * its will.
 */
export function authenticateDevice(client: Client, deps: ConnectAuthDeps): ConnectOutcome {
  const socket = client.conn as TLSSocket;
  const peer = socket.getPeerCertificate();
  if (!peer?.fingerprint256) return { refusal: refuse(NOT_AUTHORIZED, 'no client certificate') };
  const certificateId = certificateIdFromFingerprint(peer.fingerprint256);
  const log = deps.logger.child({ clientId: client.id, certificateId });
  const requester = requesterOf(client.id, certificateId, deps);
  if (!requester) {
    log.warn('connect refused: certificate not active');
    return { refusal: refuse(NOT_AUTHORIZED, 'certificate not active') };
  }
  if (!deps.access.allows(requester, 'iot:Connect', client.id)) {
    log.warn({ thingName: requester.thingName }, 'connect refused: client id not allowed');
    return { refusal: refuse(IDENTIFIER_REJECTED, 'client id not allowed for this certificate') };
  }
  const will = (client as Client & { _will?: { topic: string } })._will;
  if (will && !deps.access.allows(requester, 'iot:Publish', will.topic)) {
    log.warn({ topic: will.topic }, 'connect refused: will topic not allowed');
    return { refusal: refuse(NOT_AUTHORIZED, 'will topic not allowed') };
  }
  log.info({ thingName: requester.thingName, claim: requester.claim?.templateName }, 'client connected');
  return { requester: { ...requester, ipAddress: socket.remoteAddress ?? '' } };
}

function requesterOf(clientId: string, certificateId: string, deps: ConnectAuthDeps): Requester | undefined {
  const device = deps.certificates.activeCertificate(certificateId);
  if (device) return { clientId, certificateId, workspaceId: device.workspaceId, thingName: device.thingName };
  const claim = deps.certificates.claimCertificate?.(certificateId);
  // A claim connection must not take over a device's session by borrowing its thing name.
  if (!claim || deps.things.workspaceOfThing(clientId) !== undefined) return undefined;
  return { clientId, certificateId, workspaceId: claim.workspaceId, claim: { templateName: claim.templateName } };
}

/**
 * A CONNECT over WebSocket: the MQTT password is the person's access token and the username, when
 * given, the slug of the workspace to act in (their default one otherwise). Tokens never travel
 * in the URL, where proxies would log them.
 */
export async function authenticatePerson(
  client: Client,
  username: string | undefined,
  password: Buffer | undefined,
  deps: ConnectAuthDeps,
): Promise<ConnectOutcome> {
  const log = deps.logger.child({ clientId: client.id, transport: 'websocket' });
  if (!deps.people || !password?.length) return { refusal: refuse(BAD_USERNAME_OR_PASSWORD, 'an access token is required as the password') };
  let access;
  try {
    access = await deps.people(password.toString('utf8'), username || undefined);
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, 'websocket connect refused: token not accepted');
    return { refusal: refuse(BAD_USERNAME_OR_PASSWORD, 'access token not accepted') };
  }
  const workspaceId = access.workspace?.id;
  if (!workspaceId) return { refusal: refuse(NOT_AUTHORIZED, 'no workspace to act in') };
  const requester: Requester = { clientId: client.id, workspaceId, user: { userId: access.userId } };
  if (!deps.access.allows(requester, 'iot:Connect', client.id)) {
    log.warn('websocket connect refused: client id not allowed');
    return { refusal: refuse(IDENTIFIER_REJECTED, 'client id not allowed (a thing name is reserved for its device)') };
  }
  log.info({ userId: access.userId, workspaceId }, 'person connected over websocket');
  const ipAddress = (client as Client & { req?: IncomingMessage }).req?.socket.remoteAddress ?? '';
  return access.expiresAt === undefined ? { requester: { ...requester, ipAddress } } : { requester: { ...requester, ipAddress }, expiresAt: access.expiresAt };
}
