import { z } from 'zod';
import { DisconnectReason } from './device.schema.js';
import type { MqttTopicSpec } from './mqtt-topic.js';

/** `$aws/events/presence/connected/{clientId}`: AWS IoT's lifecycle event, timestamps in epoch ms. */
export const PresenceConnectedEvent = z.object({
  clientId: z.string(),
  timestamp: z.number().int(),
  eventType: z.literal('connected'),
  sessionIdentifier: z.string(),
  /** The certificate id for a device or claim certificate; the user id for a person on WebSocket. */
  principalIdentifier: z.string(),
  ipAddress: z.string(),
  /** Orders one client's events, which may arrive late or twice. */
  versionNumber: z.number().int().positive(),
});

export const PresenceDisconnectedEvent = PresenceConnectedEvent.extend({
  eventType: z.literal('disconnected'),
  clientInitiatedDisconnect: z.boolean(),
  disconnectReason: DisconnectReason,
});

/** Presence events and devices' own application topics. */
export const PRESENCE_TOPICS: MqttTopicSpec[] = [
  {
    id: 'presenceConnected',
    address: '$aws/events/presence/connected/{clientId}',
    direction: 'hub-sends',
    summary: 'A client connected (QoS 0). Readable by signed-in people of the thing\'s workspace, and by devices whose policy allows it.',
    payload: PresenceConnectedEvent,
  },
  {
    id: 'presenceDisconnected',
    address: '$aws/events/presence/disconnected/{clientId}',
    direction: 'hub-sends',
    summary: 'A client\'s connection ended, with why (QoS 0).',
    payload: PresenceDisconnectedEvent,
  },
];
