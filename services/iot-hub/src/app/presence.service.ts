import type { Logger } from '@citus/kit';
import type { Requester } from '../domain/device-session.model.js';
import type { MessagePublisher } from '../domain/message-publisher.port.js';
import type { Connectivity, ConnectivityRepository, DisconnectReason } from '../domain/presence.model.js';

/** What the broker knows about one connection when it opens or ends. */
export interface ConnectionFacts {
  requester: Requester;
  /** Unique per connection: tells a reconnect's events from the previous connection's. */
  sessionIdentifier: string;
  ipAddress: string;
}

/**
 * Presence (AWS IoT lifecycle events): publishes `$aws/events/presence/connected|disconnected/{clientId}`
 * with epoch-ms timestamps and a per-client `versionNumber`, and keeps each client's connectivity
 * for the device registry.
 */
export class PresenceService {
  constructor(
    private readonly repository: ConnectivityRepository,
    private readonly publisher: MessagePublisher,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  connected(facts: ConnectionFacts): void {
    const versionNumber = this.record(facts, { connected: true, timestamp: this.now() });
    this.announce('connected', facts, versionNumber, {});
  }

  disconnected(facts: ConnectionFacts, reason: DisconnectReason): void {
    const versionNumber = this.record(facts, { connected: false, timestamp: this.now(), disconnectReason: reason });
    this.announce('disconnected', facts, versionNumber, {
      clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      disconnectReason: reason,
    });
  }

  /** The client's last known connectivity; undefined for a client never seen. */
  connectivityOf(clientId: string): Connectivity | undefined {
    const record = this.repository.get(clientId);
    if (!record) return undefined;
    return {
      connected: record.connected,
      timestamp: record.timestamp,
      ...(record.disconnectReason ? { disconnectReason: record.disconnectReason } : {}),
    };
  }

  /**
   * The last known connectivity of each of these clients that connected in the workspace; a client
   * never seen, or seen in another workspace, is left out. For the registry's device lists.
   */
  connectivityIn(workspaceId: string, clientIds: readonly string[]): Map<string, Connectivity> {
    const found = new Map<string, Connectivity>();
    for (const clientId of new Set(clientIds)) {
      const record = this.repository.get(clientId);
      if (record?.workspaceId !== workspaceId) continue;
      found.set(clientId, {
        connected: record.connected,
        timestamp: record.timestamp,
        ...(record.disconnectReason ? { disconnectReason: record.disconnectReason } : {}),
      });
    }
    return found;
  }

  /**
   * A deleted thing's connectivity goes with it (its client id is its thing name). Its sessions were
   * closed, and their disconnect recorded, when its certificates were revoked just before.
   */
  forgetThing(workspaceId: string, thingName: string): boolean {
    return this.repository.delete(workspaceId, thingName);
  }

  private record(facts: ConnectionFacts, connectivity: Connectivity): number {
    const { clientId, workspaceId } = facts.requester;
    const versionNumber = (this.repository.get(clientId)?.versionNumber ?? 0) + 1;
    this.repository.save({ clientId, workspaceId, versionNumber, ...connectivity });
    return versionNumber;
  }

  private announce(eventType: 'connected' | 'disconnected', facts: ConnectionFacts, versionNumber: number, extra: object): void {
    const { clientId, certificateId, user } = facts.requester;
    const payload = {
      clientId,
      timestamp: this.now(),
      eventType,
      ...extra,
      sessionIdentifier: facts.sessionIdentifier,
      principalIdentifier: certificateId ?? user?.userId ?? clientId,
      ipAddress: facts.ipAddress,
      versionNumber,
    };
    // QoS 0 as AWS IoT publishes lifecycle events; nobody listening is the common case.
    this.publisher
      .publish({ topic: `$aws/events/presence/${eventType}/${clientId}`, payload, qos: 0 })
      .catch((error: unknown) => this.logger.warn({ err: error, clientId }, 'presence event not published'));
  }
}
