import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { TELEMETRY_BY_THING_INDEX, TELEMETRY_TABLE_NAMES, TTL_ATTRIBUTE, tableName } from '@citus/dynamodb';
import type {
  AggregateBucket,
  AggregateWindow,
  LatestMessage,
  TelemetryQueries,
  WindowProblem,
} from '../../domain/telemetry-buckets.rules.js';
import { BucketAccumulator, numberAt } from './telemetry-buckets.accumulator.js';
import { afterTopicKeysOf, epochOfSeriesKey, seriesBounds, thingKey, thingOfTopicKey, topicKeyPrefix } from './telemetry.keys.js';
import { decodeStoredPayload } from './telemetry.payload.js';

/**
 * The most items one aggregates query reads. DynamoDB has no server-side aggregation, so every item
 * of the range crosses the network (a 1 MB page at a time) and is decoded here: a bound on the
 * request's time and memory, and on the read capacity one dashboard refresh may consume.
 */
export const MAX_AGGREGATE_ITEMS_READ = 200_000;

/** The pages of a newest-first read of one topic: the newest item alone, then more while items are skipped. */
const LATEST_PAGE_SIZES = [1, 10, 100];

/** Topics per thing assumed when sizing a page of the topics table for a page of things. */
const TOPICS_PER_THING = 4;

type Scope = { workspaceId: string; thingName: string; topic?: string };
type Item = Record<string, unknown>;

export interface DynamoTelemetryQueriesOptions {
  /** Defaults to `MAX_AGGREGATE_ITEMS_READ`. */
  maxItemsRead?: number;
}

/**
 * Aggregates and latest values on the DynamoDB telemetry tables.
 *
 * Aggregates read the range's items and bucket them here (see BucketAccumulator): one stream from
 * the base table (partition `topic`, `epoch` in the range, filtered to the thing's workspace), a
 * whole thing from the `by-thing` index. An item's epoch is the one in its `seriesKey`, as in
 * DynamoTelemetryTable (the AWS IoT rule computes `epoch` and `seriesKey` with separate
 * `timestamp()` calls). Expired items are filtered out by DynamoDB (they still count as read), and
 * payloads the AWS IoT rule stored unchecked are left out here unless they pass the ingest check.
 *
 * The telemetry table cannot list a thing's topics nor a workspace's things: those come from the
 * `telemetry-topics` table, which only the hub writes (see TelemetryTopicRegistry), so topics only
 * ever written by the AWS IoT rule are not listed. Latest values then read each topic newest first.
 */
export class DynamoTelemetryQueries implements TelemetryQueries {
  private readonly tables;
  private readonly maxItemsRead: number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    tablePrefix = '',
    options: DynamoTelemetryQueriesOptions = {},
  ) {
    this.tables = {
      telemetry: tableName(tablePrefix, TELEMETRY_TABLE_NAMES.telemetry),
      topics: tableName(tablePrefix, TELEMETRY_TABLE_NAMES.topics),
    };
    this.maxItemsRead = options.maxItemsRead ?? MAX_AGGREGATE_ITEMS_READ;
  }

  async aggregate(scope: Scope, field: string, window: AggregateWindow): Promise<AggregateBucket[] | WindowProblem> {
    const request = scope.topic === undefined ? this.thingRange(scope, window) : this.topicRange(scope, scope.topic, window);
    if (!request) return [];
    const path = field.split('.');
    const buckets = new BucketAccumulator(window.bucket);
    let read = 0;
    let startKey: Item | undefined;
    do {
      // One item past the cap tells a range that holds more from one that holds exactly as many.
      const page = await this.query({ ...request, Limit: this.maxItemsRead - read + 1, ExclusiveStartKey: startKey });
      read += page.ScannedCount ?? 0;
      if (read > this.maxItemsRead) return { problem: this.tooManyItems(scope) };
      for (const item of page.Items ?? []) {
        const epoch = epochOfSeriesKey(item.seriesKey as string);
        if (epoch < window.from || epoch > window.to) continue;
        const payload = decodeStoredPayload(item.payload as string);
        const value = payload && numberAt(payload, path);
        if (value !== undefined) buckets.add(epoch, value);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return buckets.result();
  }

  async latest(workspaceId: string, thingNames: readonly string[]): Promise<LatestMessage[]> {
    const perThing = await Promise.all(
      thingNames.map(async (thingName) => {
        const topics = await this.topicsOf(workspaceId, thingName);
        const latest = await Promise.all(topics.map((topic) => this.latestOfTopic(workspaceId, thingName, topic)));
        return latest.filter((message): message is LatestMessage => message !== undefined);
      }),
    );
    return perThing.flat();
  }

  async thingsWithTelemetry(workspaceId: string, limit: number, after?: string): Promise<string[]> {
    const names: string[] = [];
    let startKey: Item | undefined;
    while (names.length < limit) {
      const page = await this.query({
        TableName: this.tables.topics,
        KeyConditionExpression: after === undefined ? '#workspace = :workspace' : '#workspace = :workspace AND #key > :after',
        ExpressionAttributeNames: { '#workspace': 'workspaceId', '#key': 'topicKey' },
        ExpressionAttributeValues: { ':workspace': workspaceId, ...(after === undefined ? {} : { ':after': afterTopicKeysOf(after) }) },
        ProjectionExpression: '#key',
        Limit: (limit - names.length) * TOPICS_PER_THING,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) {
        const name = thingOfTopicKey(item.topicKey as string);
        if (names.at(-1) !== name && names.length < limit) names.push(name);
      }
      startKey = page.LastEvaluatedKey;
      if (!startKey) break;
    }
    return names;
  }

  /** A whole thing's range: its partition of the `by-thing` index, between the range's series keys. */
  private thingRange(scope: Scope, window: AggregateWindow): QueryCommandInput | undefined {
    const bounds = seriesBounds({ from: window.from, to: window.to, limit: 0, order: 'asc' });
    if (!bounds) return undefined;
    return {
      TableName: this.tables.telemetry,
      IndexName: TELEMETRY_BY_THING_INDEX,
      KeyConditionExpression: '#thing = :thing AND #series BETWEEN :lower AND :upper',
      ...unexpired(
        { '#thing': 'thingKey', '#series': 'seriesKey', '#payload': 'payload' },
        { ':thing': thingKey(scope.workspaceId, scope.thingName), ':lower': bounds.lower, ':upper': bounds.upper },
      ),
      ProjectionExpression: '#series, #payload',
    };
  }

  /**
   * One stream's range: its partition of the base table. Its items carry the thing's key too, and
   * only the workspace's count (a thing deleted in one workspace may be named again in another).
   */
  private topicRange(scope: Scope, topic: string, window: AggregateWindow): QueryCommandInput {
    return {
      TableName: this.tables.telemetry,
      KeyConditionExpression: '#topic = :topic AND #epoch BETWEEN :from AND :to',
      ...ofThing(
        { '#topic': 'topic', '#epoch': 'epoch', '#series': 'seriesKey', '#payload': 'payload' },
        { ':topic': topic, ':from': window.from, ':to': window.to, ':thing': thingKey(scope.workspaceId, scope.thingName) },
      ),
      ProjectionExpression: '#series, #payload',
    };
  }

  private tooManyItems(scope: Scope): string {
    const narrower = scope.topic === undefined ? 'choose a shorter range or name a stream' : 'choose a shorter range';
    return `the range holds more than ${this.maxItemsRead} messages, the most one aggregates query reads from DynamoDB: ${narrower}`;
  }

  /** The thing's topics in order: `telemetry/{thing}` sorts before each `telemetry/{thing}/{stream}`. */
  private async topicsOf(workspaceId: string, thingName: string): Promise<string[]> {
    const prefix = topicKeyPrefix(thingName);
    const topics: string[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.query({
        TableName: this.tables.topics,
        KeyConditionExpression: '#workspace = :workspace AND begins_with(#key, :prefix)',
        ExpressionAttributeNames: { '#workspace': 'workspaceId', '#key': 'topicKey' },
        ExpressionAttributeValues: { ':workspace': workspaceId, ':prefix': prefix },
        ProjectionExpression: '#key',
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) topics.push((item.topicKey as string).slice(prefix.length));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return topics;
  }

  /**
   * The newest readable item of a topic. DynamoDB applies `Limit` before the filter, so an expired
   * newest item answers an empty page: reading goes on, in larger pages, past expired items and
   * rule-written payloads that fail the ingest check.
   */
  private async latestOfTopic(workspaceId: string, thingName: string, topic: string): Promise<LatestMessage | undefined> {
    let startKey: Item | undefined;
    for (let pageNumber = 0; ; pageNumber++) {
      const page = await this.query({
        TableName: this.tables.telemetry,
        KeyConditionExpression: '#topic = :topic',
        ...ofThing({ '#topic': 'topic', '#series': 'seriesKey', '#payload': 'payload' }, { ':topic': topic, ':thing': thingKey(workspaceId, thingName) }),
        ProjectionExpression: '#series, #payload',
        ScanIndexForward: false,
        Limit: LATEST_PAGE_SIZES[Math.min(pageNumber, LATEST_PAGE_SIZES.length - 1)],
        ExclusiveStartKey: startKey,
      });
      for (const item of page.Items ?? []) {
        const payload = decodeStoredPayload(item.payload as string);
        if (payload) return { thingName, topic, epoch: epochOfSeriesKey(item.seriesKey as string), payload };
      }
      startKey = page.LastEvaluatedKey;
      if (!startKey) return undefined;
    }
  }

  private query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    return this.documents.send(new QueryCommand(input));
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** DynamoDB deletes expired items some time after they expire: until then, reads filter them out. */
function unexpired(names: Record<string, string>, values: Record<string, unknown>) {
  return {
    FilterExpression: 'attribute_not_exists(#expires) OR #expires > :now',
    ExpressionAttributeNames: { ...names, '#expires': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ...values, ':now': nowSeconds() },
  };
}

/** Unexpired items of the thing `:thing` (workspace and name) only. */
function ofThing(names: Record<string, string>, values: Record<string, unknown>) {
  const filter = unexpired({ ...names, '#thing': 'thingKey' }, values);
  return { ...filter, FilterExpression: `#thing = :thing AND (${filter.FilterExpression})` };
}
