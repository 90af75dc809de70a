import { stringKeys, type TableDefinition } from './tables.js';

/**
 * The telemetry tables, shared here because more than the hub depends on their shape: the indexer
 * reads the telemetry table's stream, and `infra/` declares the same tables for AWS.
 */
export const TELEMETRY_TABLE_NAMES = {
  telemetry: 'telemetry',
  displaced: 'telemetry-displaced',
  deadLetters: 'telemetry-dead-letters',
  topics: 'telemetry-topics',
} as const;

/**
 * DynamoDB's TTL attribute on every telemetry table: epoch seconds after which DynamoDB deletes the
 * item (typically within days, so reads also filter expired items out). Set from the workspace's
 * retention period at write time; a later change of the period applies to new items only.
 */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The index of a thing's series: all its topics in (epoch, topic) order. */
export const TELEMETRY_BY_THING_INDEX = 'by-thing';

export const TELEMETRY_TABLES: TableDefinition[] = [
  {
    // The original system's table: partition key `topic`, sort key `epoch` (ms).
    name: TELEMETRY_TABLE_NAMES.telemetry,
    AttributeDefinitions: [
      { AttributeName: 'topic', AttributeType: 'S' },
      { AttributeName: 'epoch', AttributeType: 'N' },
      { AttributeName: 'thingKey', AttributeType: 'S' },
      { AttributeName: 'seriesKey', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'topic', KeyType: 'HASH' },
      { AttributeName: 'epoch', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        // `thingKey` is workspace + thing, so the index cannot even address another workspace's
        // data; `seriesKey` is the zero-padded epoch then the topic, the series' (epoch, topic) order.
        IndexName: TELEMETRY_BY_THING_INDEX,
        KeySchema: [
          { AttributeName: 'thingKey', KeyType: 'HASH' },
          { AttributeName: 'seriesKey', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['payload', TTL_ATTRIBUTE] },
      },
    ],
    // The indexer consumes new items from the stream; the image carries everything it needs.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    timeToLiveAttribute: TTL_ATTRIBUTE,
  },
  {
    // Resend markers of displaced messages: (topic, `deviceEpoch#sha256(payload)`) -> epoch.
    name: TELEMETRY_TABLE_NAMES.displaced,
    ...stringKeys('topic', 'resendKey'),
    timeToLiveAttribute: TTL_ATTRIBUTE,
  },
  {
    // Refused payloads per thing, newest last: `letterKey` is the zero-padded receive time + a tiebreak.
    name: TELEMETRY_TABLE_NAMES.deadLetters,
    ...stringKeys('thingKey', 'letterKey'),
    timeToLiveAttribute: TTL_ATTRIBUTE,
  },
  {
    // The topics of each workspace's things (`topicKey` = `${thingName}#${topic}`), which the
    // telemetry table cannot list: latest values read a thing's topics here, then each topic's
    // newest item. Thing names cannot contain `#` and every character they may hold sorts after
    // it, so keys sort by thing name first. Registrations carry no expiry yet (TTL is on, as on the
    // other tables): a thing stays listed after its telemetry has expired, with no latest values.
    name: TELEMETRY_TABLE_NAMES.topics,
    ...stringKeys('workspaceId', 'topicKey'),
    timeToLiveAttribute: TTL_ATTRIBUTE,
  },
];

/**
 * How the AWS IoT telemetry rule stores a payload (`@citus/aws-iot`'s rule SQL): AWS IoT SQL cannot
 * store a payload as its JSON text, only its bytes base64-encoded, after this prefix. No JSON text
 * starts with `b`, so the hub's own payloads never carry it.
 */
export const RULE_PAYLOAD_PREFIX = 'base64:';

/**
 * The payload text of a stored telemetry item, and whether the rule stored it: the hub stores the
 * JSON text of a payload it has already checked; the rule stores whatever a device published,
 * unchecked, so its payloads must still pass the hub's ingest check before anyone reads them.
 */
export function storedPayloadText(stored: string): { text: string; checked: boolean } {
  if (!stored.startsWith(RULE_PAYLOAD_PREFIX)) return { text: stored, checked: true };
  return { text: Buffer.from(stored.slice(RULE_PAYLOAD_PREFIX.length), 'base64').toString('utf8'), checked: false };
}

/**
 * The workspace part of a `thingKey` (`${workspaceId}#${thingName}`): items the rule writes carry
 * no `workspaceId` attribute of their own (a rule may call `get_registry_data` once, for thingKey).
 * Thing names cannot contain `#`, so the workspace is what precedes the last one.
 */
export function workspaceOfThingKey(thingKey: string): string | undefined {
  const cut = thingKey.lastIndexOf('#');
  return cut > 0 ? thingKey.slice(0, cut) : undefined;
}
