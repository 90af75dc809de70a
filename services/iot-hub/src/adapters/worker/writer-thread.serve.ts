import { parentPort, workerData } from 'node:worker_threads';
import type { FromWriterThread, ToWriterThread, WriterThreadData } from './writer-thread.js';

/** The SQLite file this writer thread was started for. */
export const writerFile = (): string => (workerData as WriterThreadData).file;

/** A writer thread's store: answers each call once its work is committed. */
export interface ThreadStore<Request, Result> {
  handle(request: Request): Result | Promise<Result>;
  close(): void;
}

/**
 * The writer thread's side of `WriterThread`: runs the calls one at a time, in the order they
 * came, and answers each; `stop` closes the store and ends the thread.
 */
export function serveWriterCalls<Request, Result>(store: ThreadStore<Request, Result>): void {
  const port = parentPort;
  if (!port) throw new Error('a writer thread runs as a worker thread');
  const send = (message: FromWriterThread<Result>) => port.postMessage(message);
  let queue = Promise.resolve();
  port.on('message', (message: ToWriterThread<Request>) => {
    queue = queue.then(async () => {
      if (message.type === 'stop') {
        store.close();
        port.close();
        return;
      }
      try {
        send({ type: 'done', id: message.id, result: await store.handle(message.request) });
      } catch (error) {
        send({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  send({ type: 'ready' });
}
