import type { TableDefinition } from './tables.js';

/**
 * The device registry's table, shared here because `infra/` declares the same table for AWS.
 *
 * One table, items keyed (`pk`, `sk`), each with a `kind`:
 * - `DEVICE#<id>` / `DEVICE`: the device (kind `device`), with `listKey` = `<createdAt>#<id>`;
 * - `DEVICE#<id>` / `ACTIVATION`: its pending activation (kind `activation`);
 * - `DEVICE#<id>` / `CERT#<certificateId>`: each of its certificates (kind `certificate`), kept
 *   when the device is deleted, as revoked;
 * - `THING#<thingName>` / `THING`: marks the thing name taken (kind `thing-name`), with the device id;
 * - `CERT#<certificateId>` / `CERT`: marks the certificate id taken (kind `certificate-id`), with the device id.
 * DynamoDB has no unique secondary index: the markers are written with `attribute_not_exists` in the
 * same transaction as the device or certificate, so a name or id is taken once or not at all.
 * A device, its activation and its certificates share a partition, so one strongly consistent
 * Query reads all of them.
 *
 * The table's stream carries both images: a process that indexes devices apart from the registry
 * (the indexer's `registry-stream` device source) learns changes there, and a removed device's old
 * image is the only place left that names its workspace and thing.
 */
export const REGISTRY_TABLE_NAMES = {
  registry: 'registry',
} as const;

/** A workspace's devices in (createdAt, id) order: only device items carry `listKey`. */
export const REGISTRY_BY_WORKSPACE_INDEX = 'by-workspace';

export const REGISTRY_TABLES: TableDefinition[] = [
  {
    name: REGISTRY_TABLE_NAMES.registry,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'workspaceId', AttributeType: 'S' },
      { AttributeName: 'listKey', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: REGISTRY_BY_WORKSPACE_INDEX,
        KeySchema: [
          { AttributeName: 'workspaceId', KeyType: 'HASH' },
          { AttributeName: 'listKey', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  },
];
