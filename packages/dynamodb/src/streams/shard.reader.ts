import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
  type DynamoDBStreamsClient,
  type GetRecordsCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from '@citus/kit';
import type { Backoff, PollSignal } from './poll.signal.js';
import type { StreamBatch, StreamCheckpoints } from './stream-feed.port.js';

/** A stream record as the consumer's records, or undefined for one it has no use for. */
export type StreamRecordMapper<R> = (record: StreamRecord) => R | undefined;

/** What one shard's reader needs; shared by all readers of a subscription. */
export interface ShardReading<R> {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  consumer: string;
  checkpoints: StreamCheckpoints;
  toRecord: StreamRecordMapper<R>;
  handle: (batch: StreamBatch<R>) => Promise<void>;
  signal: PollSignal;
  pollIntervalMs: number;
  batchLimit: number;
  backoff: Backoff;
  /** The newest record's creation time seen on a shard, or undefined once it is caught up. */
  onSeen(shardId: string, newest: number | undefined): void;
  /** Where a shard without a checkpoint starts: its oldest record, or (a feed started at LATEST) its next one. */
  startOf(shardId: string): StartOfShard;
  /** Called once the shard's first iterator is in hand (or the shard is gone, or reading stopped). */
  onOpened(shardId: string): void;
  logger?: Logger;
}

export type StartOfShard = 'TRIM_HORIZON' | 'LATEST';

/** How a reader ended: its shard read to the end and marked finished, stopped, or no longer in the stream. */
export type ShardEnd = 'finished' | 'stopped' | 'gone';

const STOPPED = Symbol('stopped');

/**
 * Reads one shard from the consumer's checkpoint (or where `startOf` says) to its end. Each page of
 * records is handed over as one batch and the checkpoint moves to its last sequence number only
 * after `handle` resolved; a rejected `handle` is retried with back-off on the same records. A
 * null `NextShardIterator` means the shard is closed and read to its end ("finished").
 */
export async function readShard<R>(reading: ShardReading<R>, shardId: string): Promise<ShardEnd> {
  const loaded = await persist(reading, shardId, 'load checkpoint', () => reading.checkpoints.load(reading.consumer, shardId));
  if (loaded === STOPPED) return 'stopped';
  let position = loaded;
  let iterator = await openIterator(reading, shardId, position, reading.startOf(shardId));
  reading.onOpened(shardId);
  let failures = 0;
  while (iterator !== STOPPED && iterator !== undefined && !reading.signal.stopped) {
    let page: GetRecordsCommandOutput;
    try {
      page = await reading.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: reading.batchLimit }), {
        abortSignal: reading.signal.abortSignal,
      });
      failures = 0;
    } catch (error) {
      if (reading.signal.stopped) return 'stopped';
      // Iterators expire 15 minutes after they were issued: a new one from the checkpoint replays nothing handled.
      if (error instanceof ExpiredIteratorException) iterator = await openIterator(reading, shardId, position, 'TRIM_HORIZON');
      else if (error instanceof TrimmedDataAccessException) {
        // An iterator left behind the shard's oldest record: past the retention, or (DynamoDB Local)
        // an empty shard's first iterator once other tables were written. Retrying it fails forever.
        await failed(reading, shardId, 'GetRecords', error, ++failures);
        iterator = await openIterator(reading, shardId, position, 'TRIM_HORIZON');
      } else await failed(reading, shardId, 'GetRecords', error, ++failures);
      continue;
    }
    const records = page.Records ?? [];
    reading.onSeen(shardId, newestCreation(records));
    if (records.length > 0) {
      const delivered = await deliver(reading, shardId, records);
      if (delivered === STOPPED) return 'stopped';
      position = delivered ?? position;
    }
    if (!page.NextShardIterator) return finish(reading, shardId);
    iterator = page.NextShardIterator;
    if (records.length === 0) await reading.signal.sleep(reading.pollIntervalMs);
  }
  return iterator === undefined ? 'gone' : 'stopped';
}

/** Hands the page's records the consumer uses to `handle`, then saves the page's last sequence number. */
async function deliver<R>(reading: ShardReading<R>, shardId: string, records: StreamRecord[]): Promise<string | undefined | typeof STOPPED> {
  const changes = records.map(reading.toRecord).filter((change) => change !== undefined);
  if (changes.length > 0) {
    const handled = await persist(reading, shardId, 'handle', () => reading.handle({ partition: shardId, records: changes }));
    if (handled === STOPPED) return STOPPED;
  }
  const last = records.at(-1)?.dynamodb?.SequenceNumber;
  if (last === undefined) return undefined;
  const saved = await persist(reading, shardId, 'save checkpoint', () => reading.checkpoints.save(reading.consumer, shardId, last));
  return saved === STOPPED ? STOPPED : last;
}

async function finish<R>(reading: ShardReading<R>, shardId: string): Promise<ShardEnd> {
  reading.onSeen(shardId, undefined);
  const marked = await persist(reading, shardId, 'mark finished', () => reading.checkpoints.markFinished(reading.consumer, shardId));
  return marked === STOPPED ? 'stopped' : 'finished';
}

/**
 * An iterator just after the checkpoint, or at `start` without one. A checkpoint older than the
 * stream's 24 h retention is trimmed away: reading resumes at the oldest record still there (what
 * was trimmed is lost to every consumer, so this is logged as an error). Undefined when the shard
 * is no longer in the stream. Only a shard's first iterator may start at LATEST: one opened again
 * before any record was read starts at the oldest, as replaying records is harmless to a consumer
 * at least once and skipping them is not.
 */
async function openIterator<R>(
  reading: ShardReading<R>,
  shardId: string,
  position: string | undefined,
  start: StartOfShard,
): Promise<string | undefined | typeof STOPPED> {
  let after = position;
  for (let failures = 1; !reading.signal.stopped; failures++) {
    try {
      const { ShardIterator } = await reading.streams.send(
        new GetShardIteratorCommand({
          StreamArn: reading.streamArn,
          ShardId: shardId,
          ...(after === undefined ? { ShardIteratorType: start } : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
        }),
        { abortSignal: reading.signal.abortSignal },
      );
      return ShardIterator;
    } catch (error) {
      if (reading.signal.stopped) break;
      if (error instanceof ResourceNotFoundException) return undefined;
      if (error instanceof TrimmedDataAccessException && after !== undefined) {
        reading.logger?.error({ shardId, checkpoint: after }, 'checkpoint is past the stream retention: records were trimmed before they were read');
        after = undefined;
        continue;
      }
      await failed(reading, shardId, 'GetShardIterator', error, failures);
    }
  }
  return STOPPED;
}

/** Runs `work` until it succeeds, backing off between failures; gives up only when stopped. */
async function persist<T, R>(reading: ShardReading<R>, shardId: string, what: string, work: () => Promise<T>): Promise<T | typeof STOPPED> {
  for (let failures = 1; ; failures++) {
    try {
      return await work();
    } catch (error) {
      if (reading.signal.stopped) return STOPPED;
      await failed(reading, shardId, what, error, failures);
      if (reading.signal.stopped) return STOPPED;
    }
  }
}

function failed<R>(reading: ShardReading<R>, shardId: string, what: string, error: unknown, failures: number): Promise<void> {
  reading.logger?.warn({ err: error, shardId, failures }, `${what} failed; retrying after a back-off`);
  return reading.signal.backOff(reading.backoff, failures);
}

function newestCreation(records: StreamRecord[]): number | undefined {
  const times = records.map((record) => record.dynamodb?.ApproximateCreationDateTime?.getTime()).filter((time) => time !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}
