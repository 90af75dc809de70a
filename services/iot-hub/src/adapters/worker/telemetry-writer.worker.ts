import { openDatabase } from '@citus/sqlite';
import { SqliteTelemetryRepository } from '../sqlite/telemetry.repository.js';
import { fromWire, type WireBatch } from './telemetry-writer.protocol.js';
import { serveWriterCalls, writerFile } from './writer-thread.serve.js';

/**
 * The embedded telemetry table's only writer, on a thread of its own: the inserts and the fsync of
 * each commit no longer run on the broker's event loop, which meanwhile reads, checks and
 * acknowledges the next messages. It answers a batch only once its transaction is committed.
 */
const db = openDatabase(writerFile(), { module: 'iot-hub-writer', migrations: [] });
const repository = new SqliteTelemetryRepository(db);
serveWriterCalls({ handle: (batch: WireBatch) => repository.write(fromWire(batch)), close: () => db.close() });
