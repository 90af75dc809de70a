import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants as cryptoConstants } from 'node:crypto';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Aedes, AedesOptions, AuthenticateError, Client, PublishPacket } from 'aedes';
import type { BearerResolver, Logger } from '@citus/kit';
import type { IngestService } from '../../app/ingest.service.js';
import type { RuleEngine } from '../../app/rule-engine.js';
import type { PresenceService } from '../../app/presence.service.js';
import type { ReservedTopicRouter } from '../../app/reserved-topic.router.js';
import type { AccessDecider } from '../../domain/access.port.js';
import { MAX_PAYLOAD_BYTES } from '../../domain/device.policy.js';
import type { CertificateDirectory, ThingDirectory } from '../../domain/device-session.model.js';
import type { MessagePublisher, OutboundMessage } from '../../domain/message-publisher.port.js';
import type { DisconnectReason } from '../../domain/presence.model.js';
import { authenticateDevice, authenticatePerson, refuse, SERVER_UNAVAILABLE, type ConnectOutcome } from './connect.auth.js';
import { guardPacketSize } from './packet-size.guard.js';
import { coalesceWrites } from './tls-writes.js';
import { AudienceAedes, HubAudience } from './hub-audience.js';
import { HubSessions, type ConnectionCounts, type HubSession } from './hub-sessions.js';
import { routePublish, type LatencyObserver, type PublishRouting } from './publish.route.js';

export interface HubBrokerOptions {
  tls: { certificatePem: string; privateKeyPem: string; caPem: string };
  certificates: CertificateDirectory;
  things: ThingDirectory;
  access: AccessDecider;
  ingest: IngestService;
  /** Topic rules: run on every publish outside the reserved topics. */
  rules?: RuleEngine;
  /** Answers requests on AWS IoT's reserved topics (`$aws/...`). */
  reserved: ReservedTopicRouter;
  presence?: PresenceService;
  /** Checks the access token a person sends as the MQTT password on WebSocket connections. */
  people?: BearerResolver;
  /** Time from a QoS 1 telemetry PUBLISH to its PUBACK. */
  pubackLatency?: LatencyObserver;
  logger: Logger;
}

/** Room for the topic, packet id and MQTT 5 properties around a largest payload. */
const MAX_REMAINING_LENGTH = MAX_PAYLOAD_BYTES + 4 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
/** AWS IoT keeps a persistent session an hour after its connection ends (its default). */
const SESSION_EXPIRY_LIMIT_SECONDS = 3_600;
/** Sessions outliving their connection at once: a bound, so client ids cycled by one principal cannot pin memory. */
const PENDING_SESSIONS_LIMIT = 100_000;

type ForwardedPacket = Parameters<NonNullable<AedesOptions['authorizeForward']>>[1];

/**
 * The built-in hub's MQTT side: aedes behind a TLS server that demands a client certificate from
 * the platform CA. Auth is aedes's hooks, each asking the `AccessDecider` as AWS IoT asks a
 * policy; a denied publish or subscribe disconnects the client (MQTT 3.1.1), as AWS IoT does.
 */
export class HubBroker implements MessagePublisher {
  private readonly sessions = new HubSessions();
  /** Who would receive what the hub publishes: a message nobody can receive is not built. */
  private readonly audience = new HubAudience();
  /** Clients whose CONNECT asked for a clean start. */
  private readonly cleanStarts = new WeakSet<Client>();
  /** Ends a person's WebSocket session when the access token it was opened with expires. */
  private readonly expiries = new WeakMap<Client, NodeJS.Timeout>();
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private closing = false;

  constructor(private readonly options: HubBrokerOptions) {}

  async listen(port: number, host?: string): Promise<number> {
    const broker = await this.createBroker();
    const log = this.options.logger;
    const server = createServer(
      {
        key: this.options.tls.privateKeyPem,
        cert: this.options.tls.certificatePem,
        ca: [this.options.tls.caPem],
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        // Session tickets cost ~12 KB of memory per idle connection (measured by `pnpm bench hub`);
        // devices hold one long connection, so resumption saves little.
        secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
      },
      (socket) => {
        coalesceWrites(socket);
        guardPacketSize(socket, MAX_REMAINING_LENGTH, (reason) => log.warn({ reason, remote: socket.remoteAddress }, 'MQTT packet refused'));
        broker.handle(socket);
      },
    );
    server.on('tlsClientError', (error) => log.debug({ err: error.message }, 'tls handshake refused'));
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
   * MQTT over WebSocket (the HTTP server's `/mqtt`): the same broker, for people and apps signed in
   * with an access token rather than a device certificate.
   */
  handleWebSocket(stream: Duplex, req: IncomingMessage): void {
    const broker = this.broker;
    if (!broker) return void stream.destroy();
    const log = this.options.logger;
    guardPacketSize(stream, MAX_REMAINING_LENGTH, (reason) => log.warn({ reason, remote: req.socket.remoteAddress }, 'MQTT packet refused'));
    broker.handle(stream, req);
  }

  /**
   * Sends a message of the hub's own to every subscriber, and to the requester even when it did not
   * subscribe (or to the requester alone), as AWS IoT answers reserved-topic requests.
   */
  async publish(message: OutboundMessage): Promise<void> {
    const broker = this.broker;
    if (!broker) return;
    const qos = message.qos ?? 1;
    const requester = message.requester === undefined ? undefined : this.sessions.client(message.requester);
    const toRequester = requester !== undefined && (message.requesterOnly === true || !this.sessions.subscribes(requester, message.topic));
    const toSubscribers = message.requesterOnly !== true && this.audience.hears(message.topic, qos);
    if (!toRequester && !toSubscribers) return;
    const packet = {
      cmd: 'publish' as const,
      topic: message.topic,
      payload: Buffer.isBuffer(message.payload) ? message.payload : Buffer.from(JSON.stringify(message.payload)),
      qos,
      retain: false,
      dup: false,
    };
    if (toRequester) await new Promise<void>((resolve) => requester.publish(packet, () => resolve()));
    if (!toSubscribers) return;
    await new Promise<void>((resolve, reject) => broker.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  /** False when no client, connected or of a persistent session, would receive a message on the topic now. */
  hasAudience(topic: string, qos: 0 | 1): boolean {
    return this.audience.hears(topic, qos);
  }

  /** Live connections and connects and disconnects so far, by transport. */
  get connections(): Readonly<ConnectionCounts> {
    return this.sessions.counts;
  }

  /** Closes every live session of a revoked certificate at once; answers how many there were. */
  disconnectCertificate(certificateId: string): number {
    const clients = this.sessions.clientsOfCertificate(certificateId);
    for (const client of clients) {
      this.options.logger.info({ clientId: client.id, certificateId }, 'certificate revoked: closing session');
      // Revoked first, so nothing it sends on the way out (its will message) is accepted.
      this.sessions.revoke(client);
      this.endSession(client, 'AUTH_ERROR');
      client.close();
    }
    return clients.length;
  }

  /**
   * Stops accepting connections, then closes the broker and with it every client (a TLS server's
   * close waits for its connections, so they must go first). Writes already queued are committed
   * by `ingest.drain()`, which runs after this.
   */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const broker = this.broker;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await stopped;
  }

  private async createBroker(): Promise<Aedes> {
    const log = this.options.logger;
    // aedes runs hooks without a try/catch: a throw in one would end the process, so each is guarded.
    const broker = new AudienceAedes(this.audience, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // MQTT 5's Session Expiry Interval, capped as AWS IoT caps it. MQTT 3.1.1 persistent sessions
      // have no expiry in aedes: they last until a clean connect or a restart of the hub.
      sessionExpiryIntervalLimit: SESSION_EXPIRY_LIMIT_SECONDS,
      pendingSessionsLimit: PENDING_SESSIONS_LIMIT,
      preConnect: (client, packet, done) => {
        if (packet.clean) this.cleanStarts.add(client);
        done(null, true);
      },
      authenticate: (client, username, password, done) =>
        guarded(() => this.authenticate(client, username, password, done), () => done(refuse(SERVER_UNAVAILABLE, 'hub unavailable'), false)),
      authorizePublish: (client, packet, done) =>
        guarded(() => this.authorizePublish(client, packet, done), (error) => done(error)),
      authorizeSubscribe: (client, subscription, done) =>
        guarded(() => this.authorizeSubscribe(client, subscription, done), (error) => done(error)),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    });
    await broker.listen();
    broker.on('clientReady', (client) => this.startSession(client));
    this.followPersistentSessions(broker);
    broker.on('clientDisconnect', (client) => this.endSession(client, client.closed && this.closing ? 'SERVER_INITIATED_DISCONNECT' : undefined));
    broker.on('keepaliveTimeout', (client) => this.sessions.setReason(client, 'MQTT_KEEP_ALIVE_TIMEOUT'));
    broker.on('clientError', (client, error) => log.debug({ clientId: client.id, err: error.message }, 'client error'));
    broker.on('connectionError', (_client, error) => log.debug({ err: error.message }, 'connection error'));
    // aedes emits errors of its queue and will timer on itself; its types leave the event out.
    (broker as unknown as EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'broker error'));
    this.broker = broker;
    return broker;
  }

  /**
   * The audience's book of persistent sessions' subscriptions, which the broker keeps while their
   * clients are away: kept at QoS 1 or more, dropped on UNSUBSCRIBE, on a clean start and when the
   * session expires or is refused for the pending-sessions limit.
   */
  private followPersistentSessions(broker: Aedes): void {
    const audience = this.audience;
    broker.on('subscribe', (subscriptions, client) => {
      if (client.clean) return;
      // The event carries the granted QoS, or a failure code (0x80 and above) for a refused filter.
      for (const { topic, qos } of subscriptions) if (qos === 1 || qos === 2) audience.keptSubscription(client.id, topic);
    });
    broker.on('unsubscribe', (filters, client) => {
      if (!client.clean) audience.released(client.id, filters);
    });
    // A clean start ([MQTT-3.1.2-4]) has wiped the session by the time the client is registered;
    // MQTT 5's clean start with a session expiry leaves `clean` false, so the CONNECT's flag is read.
    broker.on('client', (client) => {
      if (client.clean || this.cleanStarts.has(client)) audience.sessionEnded(client.id);
    });
    broker.on('sessionExpired', (client) => audience.sessionEnded(client.id));
    // The limit on delayed wills only sends a will early: the session stays.
    broker.on('sessionLimitReached', (client, { reason }) => {
      if (reason === 'sessionExpiry') audience.sessionEnded(client.id);
    });
  }

  /** Opens the session a CONNECT is allowed, or refuses it with the CONNACK code that says why. */
  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const settle = (outcome: ConnectOutcome): void => {
      if ('refusal' in outcome) return done(outcome.refusal, false);
      const previous = this.sessions.client(client.id);
      if (previous) this.sessions.setReason(previous, 'DUPLICATE_CLIENTID');
      this.sessions.open(client, { ...outcome.requester, sessionIdentifier: randomUUID() });
      if (outcome.expiresAt !== undefined) this.endAt(client, outcome.expiresAt);
      done(null, true);
    };
    // A WebSocket stream has no peer certificate: a person with an access token.
    if (typeof (client.conn as TLSSocket).getPeerCertificate === 'function') return settle(authenticateDevice(client, this.options));
    authenticatePerson(client, username, password, this.options).then(settle, (error: unknown) => {
      this.options.logger.error({ err: error, clientId: client.id }, 'websocket authentication failed');
      done(refuse(SERVER_UNAVAILABLE, 'hub unavailable'), false);
    });
  }

  private endAt(client: Client, expiresAt: number): void {
    // setTimeout's longest delay is about 24.8 days; access tokens live hours.
    const delay = Math.min(Math.max(expiresAt - Date.now(), 0), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.options.logger.info({ clientId: client.id }, 'access token expired: closing websocket session');
      this.sessions.setReason(client, 'WEBSOCKET_TTL_EXPIRATION');
      client.close();
    }, delay);
    timer.unref();
    this.expiries.set(client, timer);
  }

  private startSession(client: Client): void {
    const session = this.sessions.get(client);
    if (session && this.sessions.markReady(client)) this.options.presence?.connected({ requester: session, ...session });
  }

  private endSession(client: Client, fallback: DisconnectReason | undefined): void {
    clearTimeout(this.expiries.get(client));
    const ended = this.sessions.close(client);
    if (!ended) return;
    const clientInitiated = (client as Client & { _disconnected?: boolean })._disconnected === true;
    const reason = ended.reason ?? fallback ?? (clientInitiated ? 'CLIENT_INITIATED_DISCONNECT' : 'CONNECTION_LOST');
    this.options.presence?.disconnected({ requester: ended.session, ...ended.session }, reason);
  }

  /**
   * Runs before aedes sends the PUBACK: a telemetry message is written here, so an acknowledged
   * message is a stored one, and a reserved-topic request is answered here. A denied publish, an
   * oversize payload or a failed write errors, which makes aedes close the connection without
   * acknowledging (MQTT 3.1.1) or answer 0x87 (MQTT 5).
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const session = client && this.sessions.get(client);
    if (!client || !session) return done(new Error('publish from an unauthenticated client'));
    const routing: PublishRouting = routePublish(session, packet, this.options);
    if (routing.kind === 'refuse') {
      this.sessions.setReason(client, routing.reason);
      this.options.logger.warn({ clientId: session.clientId, topic: packet.topic, why: routing.message }, 'publish refused');
      return done(new Error(routing.message));
    }
    routing.run().then(
      () => done(null),
      (error: unknown) => {
        this.options.logger.error({ err: error, clientId: session.clientId, topic: packet.topic }, 'publish failed');
        done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private authorizeSubscribe<S extends { topic: string }>(
    client: Client,
    subscription: S,
    done: (error: Error | null, subscription?: S | null) => void,
  ): void {
    const session = this.sessions.get(client);
    if (session && this.options.access.allows(session, 'iot:Subscribe', subscription.topic)) return done(null, subscription);
    this.options.logger.warn({ clientId: client.id, topic: subscription.topic }, 'subscribe denied');
    this.sessions.setReason(client, 'FORBIDDEN_ACCESS');
    done(new Error('subscribe not authorised'));
  }

  /** `iot:Receive`: checked for every message on its way to a subscriber, retained ones included. */
  private authorizeForward(client: Client, packet: ForwardedPacket): ForwardedPacket | null {
    try {
      const session = this.sessions.get(client);
      return session && this.options.access.allows(session, 'iot:Receive', packet.topic) ? packet : null;
    } catch (error) {
      this.options.logger.error({ err: error, clientId: client.id }, 'receive check failed');
      return null;
    }
  }
}

export type { HubSession };

/** Runs a hook; a synchronous throw (a store error, say) refuses the request instead of crashing. */
function guarded(hook: () => void, refuse: (error: Error) => void): void {
  try {
    hook();
  } catch (error) {
    refuse(error instanceof Error ? error : new Error(String(error)));
  }
}
