import type { EventEmitter } from 'node:events';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '@citus/kit';
import { certificateIdFromFingerprint } from '@citus/pki';
import type { IngestService } from '../../app/ingest.service.js';
import type { ReservedTopicRouter } from '../../app/reserved-topic.router.js';
import { MAX_PAYLOAD_BYTES, mayPublish, maySubscribe } from '../../domain/device.policy.js';
import type { CertificateDirectory, DeviceSession } from '../../domain/device-session.model.js';
import type { MessagePublisher, OutboundMessage } from '../../domain/message-publisher.port.js';
import { topicMatches } from '../../domain/topic-filter.js';
import { guardPacketSize } from './packet-size.guard.js';

export interface HubBrokerOptions {
  tls: { certificatePem: string; privateKeyPem: string; caPem: string };
  certificates: CertificateDirectory;
  ingest: IngestService;
  /** Answers requests on AWS IoT's reserved topics (`$aws/...`). */
  reserved: ReservedTopicRouter;
  logger: Logger;
}

// CONNACK return codes of MQTT 3.1.1 (3.2.2.3); aedes maps them to MQTT 5 reason codes.
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

/** Room for the topic, packet id and MQTT 5 properties around a largest payload. */
const MAX_REMAINING_LENGTH = MAX_PAYLOAD_BYTES + 4 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

function refuse(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The built-in hub's MQTT side: aedes behind a TLS server that demands a client certificate from
 * the platform CA. Auth is aedes's hooks; each denial disconnects the client, as AWS IoT does.
 */
export class HubBroker implements MessagePublisher {
  private readonly sessions = new WeakMap<Client, DeviceSession>();
  /** The live client of each thing; a new connection with the same client id takes over. */
  private readonly clientsByThing = new Map<string, Client>();
  private broker: Aedes | undefined;
  private server: Server | undefined;

  constructor(private readonly options: HubBrokerOptions) {}

  async listen(port: number, host?: string): Promise<number> {
    const log = this.options.logger;
    // aedes runs hooks without a try/catch: a throw in one would end the process, so each is guarded.
    const broker = await Aedes.createBroker({
      connectTimeout: CONNECT_TIMEOUT_MS,
      authenticate: (client, _username, _password, done) =>
        guarded(() => this.authenticate(client, done), () => done(refuse(SERVER_UNAVAILABLE, 'hub unavailable'), false)),
      authorizePublish: (client, packet, done) =>
        guarded(() => this.authorizePublish(client, packet, done), (error) => done(error)),
      authorizeSubscribe: (client, subscription, done) =>
        guarded(() => this.authorizeSubscribe(client, subscription, done), (error) => done(error)),
    });
    broker.on('clientDisconnect', (client) => this.forget(client));
    broker.on('clientError', (client, error) => log.debug({ clientId: client.id, err: error.message }, 'client error'));
    broker.on('connectionError', (_client, error) => log.debug({ err: error.message }, 'connection error'));
    // aedes emits errors of its queue and will timer on itself; its types leave the event out.
    (broker as unknown as EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'broker error'));
    const server = createServer(
      {
        key: this.options.tls.privateKeyPem,
        cert: this.options.tls.certificatePem,
        ca: [this.options.tls.caPem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (socket) => {
        guardPacketSize(socket, MAX_REMAINING_LENGTH, (reason) => log.warn({ reason, remote: socket.remoteAddress }, 'MQTT packet refused'));
        broker.handle(socket);
      },
    );
    server.on('tlsClientError', (error) => log.debug({ err: error.message }, 'tls handshake refused'));
    this.broker = broker;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (error) => log.error({ err: error }, 'MQTT listener error'));
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /**
   * Sends a message of the hub's own to every subscriber, and to the requester even when it did not
   * subscribe (or to the requester alone), as AWS IoT answers reserved-topic requests.
   */
  async publish(message: OutboundMessage): Promise<void> {
    const broker = this.broker;
    if (!broker) return;
    const packet = {
      cmd: 'publish' as const,
      topic: message.topic,
      payload: Buffer.from(JSON.stringify(message.payload)),
      qos: message.qos ?? 1,
      retain: false,
      dup: false,
    };
    const requester = message.requester === undefined ? undefined : this.clientsByThing.get(message.requester);
    const direct = requester && (message.requesterOnly || !subscribes(requester, message.topic));
    if (direct) await new Promise<void>((resolve) => requester.publish(packet, () => resolve()));
    if (message.requesterOnly) return;
    await new Promise<void>((resolve, reject) => broker.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  /** Closes the live sessions of a revoked certificate at once. */
  disconnectCertificate(thingName: string, certificateId: string): boolean {
    const client = this.clientsByThing.get(thingName);
    if (!client || this.sessions.get(client)?.certificateId !== certificateId) return false;
    this.options.logger.info({ thingName, certificateId }, 'certificate revoked: closing session');
    // Forgotten first, so nothing it sends on the way out (its will message) is accepted.
    this.forget(client);
    this.sessions.delete(client);
    client.close();
    return true;
  }

  /**
   * Stops accepting connections, then closes the broker and with it every client (a TLS server's
   * close waits for its connections, so they must go first). Writes already queued are committed
   * by `ingest.drain()`, which runs after this.
   */
  async close(): Promise<void> {
    const server = this.server;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const broker = this.broker;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await stopped;
  }

  /**
   * A request on a reserved topic: its handler answers on the reply topics (rejections included)
   * before the PUBACK. A topic no handler serves is refused like any other denied publish.
   */
  private answerReserved(
    session: DeviceSession,
    packet: { topic: string; payload: Buffer | string; retain: boolean },
    payloadBytes: number,
    done: (error?: Error | null) => void,
  ): void {
    const route = this.options.reserved.match(packet.topic);
    if (!route) {
      this.options.logger.warn({ thingName: session.thingName, topic: packet.topic }, 'publish denied: no such reserved topic');
      return done(new Error('publish not authorised'));
    }
    if (payloadBytes > MAX_PAYLOAD_BYTES) {
      this.options.logger.warn({ thingName: session.thingName, bytes: payloadBytes }, 'payload too large');
      return done(new Error('payload larger than 128 KB'));
    }
    // [MQTT-3.3.1-5] would keep a retained request for every later subscriber; a request is answered once.
    packet.retain = false;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    route.handler.handle({ session, topic: packet.topic, params: route.params, payload }).then(
      () => done(null),
      (error: unknown) => {
        this.options.logger.error({ err: error, thingName: session.thingName, topic: packet.topic }, 'reserved topic request failed');
        done(null);
      },
    );
  }

  private authorizeSubscribe<S extends { topic: string }>(
    client: Client,
    subscription: S,
    done: (error: Error | null, subscription?: S | null) => void,
  ): void {
    const session = this.sessions.get(client);
    if (session && maySubscribe(session.thingName, subscription.topic)) return done(null, subscription);
    this.options.logger.warn({ thingName: session?.thingName, topic: subscription.topic }, 'subscribe denied');
    done(new Error('subscribe not authorised'));
  }

  private forget(client: Client): void {
    const session = this.sessions.get(client);
    if (session && this.clientsByThing.get(session.thingName) === client) this.clientsByThing.delete(session.thingName);
  }

  /**
   * The certificate was already checked against the platform CA in the TLS handshake. Here it
   * must be active and attached to a thing, and the client id must be that thing's name, as
   * `iot:Connect` on `client/${iot:Connection.Thing.ThingName}` requires on AWS IoT.
   */
  private authenticate(client: Client, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const peer = (client.conn as TLSSocket).getPeerCertificate();
    if (!peer?.fingerprint256) return done(refuse(NOT_AUTHORIZED, 'no client certificate'), false);
    const certificateId = certificateIdFromFingerprint(peer.fingerprint256);
    const attached = this.options.certificates.activeCertificate(certificateId);
    const log = this.options.logger.child({ clientId: client.id, certificateId });
    if (!attached) {
      log.warn('connect refused: certificate not active');
      return done(refuse(NOT_AUTHORIZED, 'certificate not active'), false);
    }
    if (client.id !== attached.thingName) {
      log.warn({ thingName: attached.thingName }, 'connect refused: client id is not the thing name');
      return done(refuse(IDENTIFIER_REJECTED, 'client id must be the thing name'), false);
    }
    this.sessions.set(client, { clientId: client.id, thingName: attached.thingName, workspaceId: attached.workspaceId, certificateId });
    this.clientsByThing.set(attached.thingName, client);
    log.info({ thingName: attached.thingName }, 'device connected');
    done(null, true);
  }

  /**
   * Runs before aedes sends the PUBACK: the durable write happens here, so an acknowledged
   * message is a stored one. A denied publish, an oversize payload or a failed write errors,
   * which makes aedes close the connection without acknowledging.
   */
  private authorizePublish(
    client: Client | null,
    packet: { topic: string; payload: Buffer | string; retain: boolean },
    done: (error?: Error | null) => void,
  ): void {
    const session = client && this.sessions.get(client);
    if (!session) return done(new Error('publish from an unauthenticated client'));
    if (!mayPublish(session.thingName, packet.topic)) {
      this.options.logger.warn({ thingName: session.thingName, topic: packet.topic }, 'publish denied');
      return done(new Error('publish not authorised'));
    }
    const payloadBytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (packet.topic.startsWith('$aws/')) return this.answerReserved(session, packet, payloadBytes, done);
    // Telemetry is for the store, not for the broker's memory: no device may subscribe to it, so a
    // retained copy per topic would only grow.
    packet.retain = false;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payloadBytes > MAX_PAYLOAD_BYTES) {
      this.options.logger.warn({ thingName: session.thingName, bytes: payload.length }, 'payload too large');
      return done(new Error('payload larger than 128 KB'));
    }
    this.options.ingest.ingest(session, packet.topic, payload).then(
      () => done(null),
      (error: unknown) => {
        this.options.logger.error({ err: error, thingName: session.thingName }, 'telemetry write failed');
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}

/** Whether one of the client's subscriptions matches the topic. */
function subscribes(client: Client, topic: string): boolean {
  const subscriptions = (client as Client & { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
  return Object.keys(subscriptions).some((filter) => topicMatches(filter, topic));
}

/** Runs a hook; a synchronous throw (a store error, say) refuses the request instead of crashing. */
function guarded(hook: () => void, refuse: (error: Error) => void): void {
  try {
    hook();
  } catch (error) {
    refuse(error instanceof Error ? error : new Error(String(error)));
  }
}
