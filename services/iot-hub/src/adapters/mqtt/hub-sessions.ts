import type { Client } from 'aedes';
import type { Requester } from '../../domain/device-session.model.js';
import type { DisconnectReason } from '../../domain/presence.model.js';
import { topicMatches } from '../../domain/topic-filter.js';

/** An authenticated connection: who it is, and what presence events say about it. */
export interface HubSession extends Requester {
  sessionIdentifier: string;
  ipAddress: string;
}

/** Devices connect over TLS with a certificate; people and apps over WebSocket with an access token. */
export type Transport = 'tls' | 'websocket';

/** Running totals since the broker started, by transport. */
export interface ConnectionCounts {
  /** Connections announced as connected (CONNACK sent) and not ended yet. */
  connected: Record<Transport, number>;
  connects: Record<Transport, number>;
  disconnects: Record<Transport, number>;
}

const transportOf = (session: HubSession): Transport => (session.user ? 'websocket' : 'tls');

/**
 * The broker's book of live connections: the session of each client, the live client of each
 * client id (a new connection with the same id takes over), and why each one ended.
 */
export class HubSessions {
  private readonly sessions = new WeakMap<Client, HubSession>();
  private readonly byClientId = new Map<string, Client>();
  private readonly reasons = new WeakMap<Client, DisconnectReason>();
  private readonly ready = new WeakSet<Client>();
  private readonly revoked = new WeakSet<Client>();
  readonly counts: ConnectionCounts = {
    connected: { tls: 0, websocket: 0 },
    connects: { tls: 0, websocket: 0 },
    disconnects: { tls: 0, websocket: 0 },
  };

  open(client: Client, session: HubSession): void {
    this.sessions.set(client, session);
    this.byClientId.set(session.clientId, client);
  }

  /** The session of a live client; none once its certificate is revoked. */
  get(client: Client): HubSession | undefined {
    return this.revoked.has(client) ? undefined : this.sessions.get(client);
  }

  /** The live clients connected with a certificate (a claim certificate may serve many). */
  clientsOfCertificate(certificateId: string): Client[] {
    return [...this.byClientId.values()].filter((client) => this.sessions.get(client)?.certificateId === certificateId);
  }

  client(clientId: string): Client | undefined {
    return this.byClientId.get(clientId);
  }

  /** Whether one of the client's subscriptions matches the topic. */
  subscribes(client: Client, topic: string): boolean {
    const subscriptions = (client as Client & { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
    return Object.keys(subscriptions).some((filter) => topicMatches(filter, topic));
  }

  /** Records why the connection is about to end; the first reason given wins. */
  setReason(client: Client, reason: DisconnectReason): void {
    if (!this.reasons.has(client)) this.reasons.set(client, reason);
  }

  /** The CONNACK went out; true the first time, so `connected` is announced once. */
  markReady(client: Client): boolean {
    const session = this.sessions.get(client);
    if (!session || this.ready.has(client)) return false;
    this.ready.add(client);
    const transport = transportOf(session);
    this.counts.connects[transport]++;
    this.counts.connected[transport]++;
    return true;
  }

  revoke(client: Client): void {
    this.revoked.add(client);
  }

  /** Forgets a connection; answers its session and end reason if it had been announced as connected. */
  close(client: Client): { session: HubSession; reason?: DisconnectReason } | undefined {
    const session = this.sessions.get(client);
    if (session && this.byClientId.get(session.clientId) === client) this.byClientId.delete(session.clientId);
    if (!session || !this.ready.has(client)) return undefined;
    this.ready.delete(client);
    const transport = transportOf(session);
    this.counts.disconnects[transport]++;
    this.counts.connected[transport]--;
    const reason = this.reasons.get(client);
    return reason ? { session, reason } : { session };
  }
}
