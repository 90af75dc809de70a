import { z } from 'zod';
import type { AsyncApiDocument } from './api-document.schema.js';
import { MAX_MQTT_PAYLOAD_BYTES, TelemetryPayload } from './telemetry.schema.js';

type Json = Record<string, unknown>;


export interface AsyncApiOptions {
  /** The MQTT host devices connect to (`CITUS_MQTT_ENDPOINT`). */
  host?: string;
  /** The MQTT over TLS port (`MQTT_TLS_PORT`). */
  port?: number;
  version?: string;
}

const RULES = [
  'This document describes the hub: devices send, the hub receives.',
  '',
  '- Connect with MQTT 3.1.1 over TLS and mutual TLS: the client certificate is the one the device got at ' +
    'activation (`POST /api/v1/devices/{id}/activation`); the server certificate is signed by the CA at `GET /api/v1/ca.pem`.',
  '- The client id must be the thing name the certificate is attached to, and the certificate must be active; ' +
    'otherwise the CONNACK refuses the connection. A new connection with the same client id takes over the old one; ' +
    "revoking the device closes its session.",
  "- A device publishes only to its own telemetry topics, `telemetry/{thingName}` and `telemetry/{thingName}/{stream}`. " +
    'Publishing to any other topic, or subscribing to any topic (none is open to devices yet), disconnects it, ' +
    'as AWS IoT does with a denied action.',
  `- A payload is at most 128 KB (${MAX_MQTT_PAYLOAD_BYTES} bytes); a larger one disconnects the device.`,
  '- Publish with QoS 1: the PUBACK comes only once the message is stored, so an acknowledged message is never lost.',
  '- A payload that is not JSON, or fails the `TelemetryPayload` schema, is acknowledged and dead-lettered ' +
    '(`GET /api/v1/telemetry/dead-letters`) instead of stored.',
  '- A device-supplied `timestamp` or `@timestamp` identifies a message, so a resend is idempotent; without one the ' +
    'receive time is used, kept unique per topic.',
].join('\n');

const NAME_RULE = '1 to 128 of letters, digits, `:`, `_` and `-`';

function channel(address: string, description: string, parameters: string[]): Json {
  return {
    address,
    description,
    servers: [{ $ref: '#/servers/hub' }],
    parameters: Object.fromEntries(parameters.map((name) => [name, { $ref: `#/components/parameters/${name}` }])),
    messages: { telemetry: { $ref: '#/components/messages/telemetry' } },
  };
}

function receive(channelId: string, summary: string): Json {
  return {
    action: 'receive',
    channel: { $ref: `#/channels/${channelId}` },
    summary,
    messages: [{ $ref: `#/channels/${channelId}/messages/telemetry` }],
    bindings: { mqtt: { qos: 1, retain: false, bindingVersion: '0.2.0' } },
  };
}

/** The AsyncAPI 3.0 document of the MQTT topics devices use, generated from the contract schemas. */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): AsyncApiDocument {
  const { $schema: _dialect, ...payload } = z.toJSONSchema(TelemetryPayload, {
    io: 'input',
    target: 'draft-07',
    metadata: z.registry(),
  }) as Json;
  return {
    asyncapi: '3.0.0',
    info: { title: 'Citus IoT device MQTT API', version: options.version ?? '1.0.0', description: RULES },
    defaultContentType: 'application/json',
    servers: {
      hub: {
        host: `${options.host ?? 'localhost'}:${options.port ?? 8883}`,
        protocol: 'secure-mqtt',
        protocolVersion: '3.1.1',
        description: 'The built-in hub: MQTT over TLS with device certificates (mutual TLS).',
        security: [{ $ref: '#/components/securitySchemes/deviceCertificate' }],
      },
    },
    channels: {
      telemetry: channel('telemetry/{thingName}', "A device's telemetry.", ['thingName']),
      telemetryStream: channel('telemetry/{thingName}/{stream}', "One named stream of a device's telemetry.", [
        'thingName',
        'stream',
      ]),
    },
    operations: {
      receiveTelemetry: receive('telemetry', 'The hub stores what a device publishes to its telemetry topic.'),
      receiveStreamTelemetry: receive('telemetryStream', 'The hub stores what a device publishes to one of its streams.'),
    },
    components: {
      schemas: { TelemetryPayload: payload },
      messages: {
        telemetry: {
          name: 'telemetry',
          title: 'A telemetry message',
          summary: `A JSON object of at most ${MAX_MQTT_PAYLOAD_BYTES} bytes; fields beyond the known ones are kept.`,
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/TelemetryPayload' },
        },
      },
      parameters: {
        thingName: { description: `The thing name, which is also the MQTT client id: ${NAME_RULE}.` },
        stream: { description: `A stream name chosen by the device: ${NAME_RULE}.` },
      },
      securitySchemes: {
        deviceCertificate: {
          type: 'X509',
          description: 'The device certificate issued at activation, signed by the platform CA; it must be active.',
        },
      },
    },
  };
}
