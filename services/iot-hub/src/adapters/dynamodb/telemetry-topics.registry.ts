import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TelemetryRecord } from '../../domain/telemetry.model.js';
import { topicKey } from './telemetry.keys.js';

/** Past this many topics the memory of what is registered starts over (a put again costs one write). */
const REMEMBERED_TOPICS_MAX = 1_000_000;

/**
 * Registers each topic the hub stores in the `telemetry-topics` table, once per process: the put is
 * unconditional and idempotent, so several hubs registering the same topic agree, and a registration
 * that failed is tried again with the topic's next message. Only the hub registers: items the AWS
 * IoT rule writes do not, so a topic only ever published through AWS IoT Core is missing from latest
 * values and from the list of things with telemetry until the hub stores a message of it.
 */
export class TelemetryTopicRegistry {
  /** Registrations done or in flight, by workspace, thing and topic. */
  private readonly registered = new Map<string, Promise<void>>();

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  register(record: Pick<TelemetryRecord, 'workspaceId' | 'thingName' | 'topic'>): Promise<void> {
    const key = topicKey(record.thingName, record.topic);
    const id = `${record.workspaceId}\n${key}`;
    const known = this.registered.get(id);
    if (known) return known;
    if (this.registered.size >= REMEMBERED_TOPICS_MAX) this.registered.clear();
    const put = this.documents
      .send(new PutCommand({ TableName: this.table, Item: { workspaceId: record.workspaceId, topicKey: key } }))
      .then(() => undefined);
    this.registered.set(id, put);
    put.catch(() => {
      if (this.registered.get(id) === put) this.registered.delete(id);
    });
    return put;
  }
}
