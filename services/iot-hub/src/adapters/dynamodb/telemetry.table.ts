import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeadLetter as DeadLetterView } from '@citus/contracts';
import { TELEMETRY_BY_THING_INDEX, TELEMETRY_TABLE_NAMES, TTL_ATTRIBUTE, tableName } from '@citus/dynamodb';
import type { TelemetryEntry, TelemetryTable } from '../../domain/telemetry-table.port.js';
import type { DeadLetter, StoredItem, TelemetryRange, TelemetryRecord, WriteOutcome } from '../../domain/telemetry.model.js';
import { epochOfSeriesKey, letterKey, resendKey, seriesBounds, seriesKey, thingKey } from './telemetry.keys.js';
import { decodeStoredPayload } from './telemetry.payload.js';
import { TelemetryTopicRegistry } from './telemetry-topics.registry.js';

/** As in the SQLite adapter: past this many 1 ms bumps the message is dead-lettered. */
const MAX_EPOCH_BUMPS = 1_000;
const LAST_EPOCH_PRUNE_AT = 10_000;

export interface DynamoTelemetryOptions {
  /**
   * When an item of the workspace stored at `epochMs` expires, in epoch seconds (DynamoDB TTL's
   * unit), or undefined to keep it: DynamoDB deletes expired items itself, in the background and
   * without consuming write capacity, so retention never competes with ingest.
   */
  expiresAt?: (workspaceId: string, epochMs: number) => number | undefined;
}

/** A put at a slot: stored, or the slot is taken (by this payload or another). */
type PutResult = { stored: true } | { stored: false; payload: string | undefined };

/**
 * The scale-out telemetry table on DynamoDB (items keyed `topic` + `epoch`, as in the original).
 *
 * Payloads are stored as the JSON text received, not as a map: a resend is recognised by comparing
 * the exact text (as SQLite does), a map would not round-trip every JSON document (numbers beyond
 * DynamoDB's 38 digits, key order, formatting), and the dashboards search the index, not the table.
 * In AWS mode the AWS IoT topic rule (@citus/aws-iot) writes items too, keyed alike but with the
 * payload's bytes in base64 (see telemetry.payload.ts); reads decode both.
 *
 * Writes: BatchWriteItem cannot carry conditions, and without `attribute_not_exists` a resend or a
 * clash would overwrite. TransactWriteItems (up to 100 items) is atomic, but costs twice the write
 * units and one failed condition cancels the whole chunk, which must then be retried without it.
 * So each record is a conditional PutItem: independent outcomes, one write unit, the batch's puts
 * in flight together (one topic's in order, so a topic's epochs follow arrival). A displaced record
 * and its resend marker are the one transaction, so a crash cannot leave one without the other.
 * A failed put fails the batch (nothing is acknowledged); what was already stored stays, and a
 * device-stamped resend of it is then recognised as a duplicate.
 *
 * Reads of a thing's series use the `by-thing` index: one Query per page across all the thing's
 * topics in (epoch, topic) order, instead of discovering its topics and merging one Query per
 * topic. Index reads are eventually consistent: a message is queryable a moment (typically well
 * under a second) after its write is acknowledged.
 */
export class DynamoTelemetryTable implements TelemetryTable {
  private readonly tables;
  private readonly lastEpoch = new Map<string, number>();
  /** Each topic's writes run one after the other, across batches too. */
  private readonly topicTails = new Map<string, Promise<unknown>>();
  private readonly writer = randomBytes(4).toString('hex');
  private deadLetterSequence = 0;
  private readonly topics: TelemetryTopicRegistry;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    tablePrefix = '',
    private readonly options: DynamoTelemetryOptions = {},
  ) {
    this.tables = {
      telemetry: tableName(tablePrefix, TELEMETRY_TABLE_NAMES.telemetry),
      displaced: tableName(tablePrefix, TELEMETRY_TABLE_NAMES.displaced),
      deadLetters: tableName(tablePrefix, TELEMETRY_TABLE_NAMES.deadLetters),
    };
    this.topics = new TelemetryTopicRegistry(documents, tableName(tablePrefix, TELEMETRY_TABLE_NAMES.topics));
  }

  async write(entries: TelemetryEntry[]): Promise<WriteOutcome[]> {
    const writes = entries.map((entry): Promise<WriteOutcome> => {
      if ('deadLetter' in entry) return this.putDeadLetter(entry.deadLetter).then(() => ({ kind: 'dead-lettered' }));
      const { record } = entry;
      return this.inTopicOrder(record.topic, () => this.writeRecord(record)).then((outcome) => this.withTopicRegistered(record, outcome));
    });
    const settled = await Promise.allSettled(writes);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((result) => (result as PromiseFulfilledResult<WriteOutcome>).value);
  }

  async query(workspaceId: string, thingName: string, range: TelemetryRange): Promise<StoredItem[]> {
    const bounds = seriesBounds(range);
    if (!bounds || range.limit <= 0) return [];
    const items: StoredItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tables.telemetry,
          IndexName: TELEMETRY_BY_THING_INDEX,
          KeyConditionExpression: '#thing = :thing AND #series BETWEEN :lower AND :upper',
          ExpressionAttributeNames: {
            '#thing': 'thingKey',
            '#series': 'seriesKey',
            '#topic': 'topic',
            '#payload': 'payload',
            '#expires': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ':thing': thingKey(workspaceId, thingName), ':lower': bounds.lower, ':upper': bounds.upper },
          ProjectionExpression: '#topic, #payload, #series, #expires',
          ScanIndexForward: range.order === 'asc',
          // One more than needed when the cursor's own item comes first.
          Limit: range.limit - items.length + (bounds.exclude ? 1 : 0),
          ExclusiveStartKey: startKey,
        }),
      );
      const now = nowSeconds();
      for (const item of page.Items ?? []) {
        if (item.seriesKey === bounds.exclude || expired(item, now)) continue;
        const payload = decodeStoredPayload(item.payload as string);
        if (payload) items.push({ topic: item.topic as string, epoch: epochOfSeriesKey(item.seriesKey as string), payload });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < range.limit);
    return items.slice(0, range.limit);
  }

  /** DynamoDB keeps no counts: this reads the thing's dead-letter keys (a Query with `Select: COUNT`). */
  async countDeadLetters(workspaceId: string, thingName: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tables.deadLetters,
          KeyConditionExpression: '#thing = :thing',
          ...unexpired({ '#thing': 'thingKey' }, { ':thing': thingKey(workspaceId, thingName) }),
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async recentDeadLetters(workspaceId: string, thingName: string, limit: number): Promise<DeadLetterView[]> {
    if (limit <= 0) return [];
    const page = await this.documents.send(
      new QueryCommand({
        TableName: this.tables.deadLetters,
        KeyConditionExpression: '#thing = :thing',
        ...unexpired({ '#thing': 'thingKey', '#topic': 'topic', '#reason': 'reason', '#receivedAt': 'receivedAt' }, { ':thing': thingKey(workspaceId, thingName) }),
        ProjectionExpression: '#topic, #reason, #receivedAt',
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => ({
      topic: item.topic as string,
      reason: item.reason as string,
      receivedAt: item.receivedAt as number,
    }));
  }

  /**
   * The topic of a stored message is registered (DynamoTelemetryQueries lists topics from there)
   * before the message is acknowledged, so latest values never miss an acknowledged message's topic.
   */
  private async withTopicRegistered(record: TelemetryRecord, outcome: WriteOutcome): Promise<WriteOutcome> {
    if (outcome.kind !== 'dead-lettered') await this.topics.register(record);
    return outcome;
  }

  /**
   * A device timestamp identifies its message: the same payload again at (topic, timestamp) is a
   * resend. When that slot holds a different message this one is displaced to its receive time,
   * with a marker that recognises its own resends; without a timestamp the receive time is used,
   * moved on by 1 ms until the slot is free, so nothing is overwritten.
   */
  private async writeRecord(record: TelemetryRecord): Promise<WriteOutcome> {
    const { topic, deviceEpoch } = record;
    if (deviceEpoch === undefined) return this.writeAtReceiveTime(record, undefined);
    const first = await this.put(record, deviceEpoch);
    if (first.stored) return { kind: 'stored', topic, epoch: deviceEpoch };
    if (first.payload === record.payload) return { kind: 'duplicate', topic, epoch: deviceEpoch };
    const marker = resendKey(deviceEpoch, record.payload);
    const displaced = await this.displacedCopy(topic, marker);
    if (displaced !== undefined) return { kind: 'duplicate', topic, epoch: displaced };
    return this.writeAtReceiveTime(record, marker);
  }

  private async writeAtReceiveTime(record: TelemetryRecord, marker: string | undefined): Promise<WriteOutcome> {
    const { topic } = record;
    let epoch = Math.max(record.receivedAt, (this.lastEpoch.get(topic) ?? 0) + 1);
    for (let bumps = 0; ; bumps++) {
      const result = marker === undefined ? await this.put(record, epoch) : await this.putDisplaced(record, epoch, marker);
      if ('duplicateOf' in result) return { kind: 'duplicate', topic, epoch: result.duplicateOf };
      if (result.stored) break;
      if (bumps >= MAX_EPOCH_BUMPS) {
        const reason = `no free epoch within ${MAX_EPOCH_BUMPS} ms of ${record.receivedAt}`;
        const { thingName, workspaceId, receivedAt } = record;
        await this.putDeadLetter({ topic, thingName, workspaceId, receivedAt, reason, payload: Buffer.from(record.payload) });
        return { kind: 'dead-lettered' };
      }
      epoch++;
    }
    this.rememberEpoch(topic, epoch, record.receivedAt);
    return { kind: 'stored', topic, epoch };
  }

  /** Puts the record at a free slot only; a taken slot answers with the payload it holds. */
  private async put(record: TelemetryRecord, epoch: number): Promise<PutResult> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tables.telemetry,
          Item: this.item(record, epoch),
          ConditionExpression: 'attribute_not_exists(#topic)',
          ExpressionAttributeNames: { '#topic': 'topic' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { stored: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { stored: false, payload: error.Item?.payload?.S };
    }
  }

  /** The displaced record and its resend marker, both or neither. */
  private async putDisplaced(record: TelemetryRecord, epoch: number, marker: string): Promise<PutResult | { duplicateOf: number }> {
    const absent = { ConditionExpression: 'attribute_not_exists(#topic)', ExpressionAttributeNames: { '#topic': 'topic' } };
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tables.telemetry, Item: this.item(record, epoch), ...absent } },
            {
              Put: {
                TableName: this.tables.displaced,
                Item: { topic: record.topic, resendKey: marker, epoch, [TTL_ATTRIBUTE]: this.expiry(record.workspaceId, epoch) },
                ...absent,
              },
            },
          ],
        }),
      );
      return { stored: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [slot, resend] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (resend === 'ConditionalCheckFailed') {
        // The same resend, written by a concurrent writer in the meantime.
        const epochOfCopy = await this.displacedCopy(record.topic, marker);
        if (epochOfCopy !== undefined) return { duplicateOf: epochOfCopy };
      }
      if (slot === 'ConditionalCheckFailed') return { stored: false, payload: undefined };
      throw error;
    }
  }

  private async displacedCopy(topic: string, marker: string): Promise<number | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tables.displaced, Key: { topic, resendKey: marker }, ConsistentRead: true }),
    );
    return Item?.epoch as number | undefined;
  }

  private item(record: TelemetryRecord, epoch: number): Record<string, unknown> {
    return {
      topic: record.topic,
      epoch,
      thingKey: thingKey(record.workspaceId, record.thingName),
      seriesKey: seriesKey(epoch, record.topic),
      workspaceId: record.workspaceId,
      thingName: record.thingName,
      payload: record.payload,
      receivedAt: record.receivedAt,
      deviceEpoch: record.deviceEpoch,
      [TTL_ATTRIBUTE]: this.expiry(record.workspaceId, epoch),
    };
  }

  /** Undefined attributes are dropped by the document client, so items without expiry carry none. */
  private expiry(workspaceId: string, epochMs: number): number | undefined {
    return this.options.expiresAt?.(workspaceId, epochMs);
  }

  private async putDeadLetter(letter: DeadLetter): Promise<void> {
    const key = letterKey(letter.receivedAt, this.deadLetterSequence++, this.writer);
    await this.documents.send(
      new PutCommand({
        TableName: this.tables.deadLetters,
        Item: {
          thingKey: thingKey(letter.workspaceId, letter.thingName),
          letterKey: key,
          topic: letter.topic,
          reason: letter.reason,
          payload: new Uint8Array(letter.payload),
          receivedAt: letter.receivedAt,
          [TTL_ATTRIBUTE]: this.expiry(letter.workspaceId, letter.receivedAt),
        },
      }),
    );
  }

  /** Runs `work` after the topic's earlier writes, whatever became of them. */
  private inTopicOrder<T>(topic: string, work: () => Promise<T>): Promise<T> {
    const previous = this.topicTails.get(topic) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.topicTails.set(topic, tail);
    void tail.then(() => {
      if (this.topicTails.get(topic) === tail) this.topicTails.delete(topic);
    });
    return run;
  }

  /** Only epochs ahead of the clock matter; the map is pruned of the rest when it grows large. */
  private rememberEpoch(topic: string, epoch: number, now: number): void {
    this.lastEpoch.set(topic, epoch);
    if (this.lastEpoch.size < LAST_EPOCH_PRUNE_AT) return;
    for (const [known, last] of this.lastEpoch) if (last < now) this.lastEpoch.delete(known);
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** DynamoDB deletes expired items some time after they expire: until then, reads skip them. */
const expired = (item: Record<string, unknown>, now: number): boolean => typeof item[TTL_ATTRIBUTE] === 'number' && item[TTL_ATTRIBUTE] <= now;

/** A query's names and values, with the filter that leaves expired items out. */
function unexpired(names: Record<string, string>, values: Record<string, unknown>) {
  return {
    FilterExpression: 'attribute_not_exists(#expires) OR #expires > :now',
    ExpressionAttributeNames: { ...names, '#expires': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ...values, ':now': nowSeconds() },
  };
}
