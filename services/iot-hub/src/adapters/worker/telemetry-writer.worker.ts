import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '@citus/sqlite';
import { SqliteTelemetryRepository } from '../sqlite/telemetry.repository.js';
import { fromWire, type FromWriter, type TelemetryWriterData, type ToWriter } from './telemetry-writer.protocol.js';

/**
 * The embedded telemetry table's only writer, on a thread of its own: the inserts and the fsync of
 * each commit no longer run on the broker's event loop, which meanwhile reads, checks and
 * acknowledges the next messages. It answers a batch only once its transaction is committed.
 */
const port = parentPort;
if (!port) throw new Error('telemetry-writer.worker runs as a worker thread');
const { file } = workerData as TelemetryWriterData;
const db = openDatabase(file, { module: 'iot-hub-writer', migrations: [] });
const repository = new SqliteTelemetryRepository(db);
const send = (message: FromWriter) => port.postMessage(message);

port.on('message', (message: ToWriter) => {
  if (message.type === 'stop') {
    db.close();
    port.close();
    return;
  }
  try {
    send({ type: 'written', id: message.id, outcomes: repository.write(fromWire(message.batch)) });
  } catch (error) {
    send({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
});
send({ type: 'ready' });
