import { z } from 'zod';
import type { AsyncApiDocument } from './api-document.schema.js';
import { JOBS_TOPICS } from './jobs.schema.js';
import type { MqttTopicSpec } from './mqtt-topic.js';
import { PRESENCE_TOPICS } from './presence.schema.js';
import { PROVISIONING_TOPICS } from './provisioning-topics.js';
import { SHADOW_TOPICS } from './shadow.schema.js';
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
  "The built-in hub speaks AWS IoT Core's device API: firmware built on the AWS IoT Device SDKs talks to it " +
    'unchanged. Operations are from the hub\'s side: `receive` is what a device publishes, `send` what the hub publishes.',
  '',
  '- Connect with MQTT 3.1.1 or 5 over TLS and mutual TLS: the client certificate is the one the device got at ' +
    'activation (`POST /api/v1/devices/{id}/activation`) or by fleet provisioning; the server certificate is signed by ' +
    'the CA at `GET /api/v1/ca.pem`. People and apps use MQTT over WebSocket at `/mqtt` on the HTTP port, with their ' +
    'access token as the MQTT password and the workspace slug as the username.',
  '- The client id must be the thing name the certificate is attached to, and the certificate must be active; ' +
    'otherwise the CONNACK refuses the connection. A new connection with the same client id takes over the old one; ' +
    'revoking the device closes its session.',
  '- What a device may do is its policies\' decision (`/api/v1/policies`): the default device policy lets it publish ' +
    'to its telemetry, its shadows, its jobs and `things/{thingName}/...`, and subscribe to and receive its shadow, jobs ' +
    'and `things/{thingName}/...` topics. Policies never reach another workspace\'s things. A denied publish or ' +
    'subscribe disconnects an MQTT 3.1.1 client, as AWS IoT does; MQTT 5 gets reason code 0x87 on the PUBACK.',
  `- A payload is at most 128 KB (${MAX_MQTT_PAYLOAD_BYTES} bytes); a larger one disconnects the device.`,
  '- Publish telemetry with QoS 1: the PUBACK comes only once the message is stored, so an acknowledged message is never lost.',
  '- A telemetry payload that is not JSON, or fails the `TelemetryPayload` schema, is acknowledged and dead-lettered ' +
    '(`GET /api/v1/telemetry/dead-letters`) instead of stored.',
  '- A device-supplied `timestamp` or `@timestamp` identifies a telemetry message, so a resend is idempotent; without ' +
    'one the receive time is used, kept unique per topic.',
  '- Requests on reserved topics (`$aws/...`) are answered on `/accepted` or `/rejected` with AWS\'s shapes; the ' +
    'answer reaches the requester even if it did not subscribe. Fleet provisioning answers reach the requester only.',
  '- Persistent sessions (clean session off), retained messages and last wills work as MQTT specifies; retained ' +
    'telemetry is not kept (telemetry lives in the store).',
].join('\n');

const NAME_RULE = '1 to 128 of letters, digits, `:`, `_` and `-`';

const PARAMETERS: Record<string, string> = {
  thingName: `The thing name, which is also the device's MQTT client id: ${NAME_RULE}.`,
  stream: `A stream name chosen by the device: ${NAME_RULE}.`,
  shadowName: 'A named shadow: 1 to 64 of letters, digits, `:`, `_` and `-`.',
  jobId: 'A job id: 1 to 64 of letters, digits, `_` and `-`.',
  templateName: 'A provisioning template name.',
  clientId: 'The MQTT client id of the connection the event is about.',
  topic: 'Any further topic levels the device and its apps agree on.',
};

const TELEMETRY_TOPICS: MqttTopicSpec[] = [
  { id: 'telemetry', address: 'telemetry/{thingName}', direction: 'device-sends', summary: "A device's telemetry; the hub stores it.", payload: TelemetryPayload },
  {
    id: 'telemetryStream',
    address: 'telemetry/{thingName}/{stream}',
    direction: 'device-sends',
    summary: "One named stream of a device's telemetry; the hub stores it.",
    payload: TelemetryPayload,
  },
];

const APPLICATION_TOPICS: MqttTopicSpec[] = [
  {
    id: 'thingApplication',
    address: 'things/{thingName}/{topic}',
    direction: 'device-sends',
    summary: "A device's own application topics (status, commands): plain publish/subscribe, retained messages and wills allowed.",
  },
];

/** Every topic of the device API, in document order. */
export const DEVICE_TOPICS: MqttTopicSpec[] = [
  ...TELEMETRY_TOPICS,
  ...SHADOW_TOPICS,
  ...JOBS_TOPICS,
  ...PROVISIONING_TOPICS,
  ...PRESENCE_TOPICS,
  ...APPLICATION_TOPICS,
];

const parametersOf = (address: string): string[] => [...address.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => match[1] as string);

const toJsonSchema = (schema: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-07', unrepresentable: 'any' }) as Json;
  return rest;
};

interface Parts {
  channels: Json;
  operations: Json;
  schemas: Record<string, Json>;
  messages: Json;
}

function addTopic(parts: Parts, topic: MqttTopicSpec): void {
  const payloadRef = topic.payload ? `${topic.id}Payload` : undefined;
  if (payloadRef && topic.payload) parts.schemas[payloadRef] = toJsonSchema(topic.payload);
  parts.messages[topic.id] = {
    name: topic.id,
    summary: topic.summary,
    contentType: 'application/json',
    ...(payloadRef ? { payload: { $ref: `#/components/schemas/${payloadRef}` } } : {}),
  };
  parts.channels[topic.id] = {
    address: topic.address,
    description: topic.description ?? topic.summary,
    servers: [{ $ref: '#/servers/hub' }],
    parameters: Object.fromEntries(parametersOf(topic.address).map((name) => [name, { $ref: `#/components/parameters/${name}` }])),
    messages: { [topic.id]: { $ref: `#/components/messages/${topic.id}` } },
  };
  const receives = topic.direction === 'device-sends';
  parts.operations[`${receives ? 'receive' : 'send'}${topic.id.charAt(0).toUpperCase()}${topic.id.slice(1)}`] = {
    action: receives ? 'receive' : 'send',
    channel: { $ref: `#/channels/${topic.id}` },
    summary: topic.summary,
    messages: [{ $ref: `#/channels/${topic.id}/messages/${topic.id}` }],
    bindings: { mqtt: { qos: topic.address.startsWith('$aws/events/') ? 0 : 1, retain: false, bindingVersion: '0.2.0' } },
  };
}

/** The AsyncAPI 3.0 document of the MQTT topics of the device API, generated from the contract schemas. */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): AsyncApiDocument {
  const parts: Parts = { channels: {}, operations: {}, schemas: {}, messages: {} };
  for (const topic of DEVICE_TOPICS) addTopic(parts, topic);
  const used = new Set(DEVICE_TOPICS.flatMap((topic) => parametersOf(topic.address)));
  return {
    asyncapi: '3.0.0',
    info: { title: 'Citus IoT device MQTT API', version: options.version ?? '1.0.0', description: RULES },
    defaultContentType: 'application/json',
    servers: {
      hub: {
        host: `${options.host ?? 'localhost'}:${options.port ?? 8883}`,
        protocol: 'secure-mqtt',
        protocolVersion: '5',
        description: 'The built-in hub: MQTT 3.1.1 and 5 over TLS with device certificates (mutual TLS).',
        security: [{ $ref: '#/components/securitySchemes/deviceCertificate' }],
      },
    },
    channels: parts.channels,
    operations: parts.operations,
    components: {
      schemas: { TelemetryPayload: toJsonSchema(TelemetryPayload), ...parts.schemas },
      messages: parts.messages,
      parameters: Object.fromEntries([...used].map((name) => [name, { description: PARAMETERS[name] ?? name }])),
      securitySchemes: {
        deviceCertificate: {
          type: 'X509',
          description: 'A device (or claim) certificate signed by the platform CA; it must be active.',
        },
      },
    },
  };
}
