import { Worker } from 'node:worker_threads';
import type { Logger } from '@citus/kit';

/** What the caller's thread asks of a writer thread. */
export type ToWriterThread<Request> = { type: 'call'; id: number; request: Request } | { type: 'stop' };

/** What a writer thread answers: every `call` gets `done` or `failed` with its id. */
export type FromWriterThread<Result> = { type: 'ready' } | { type: 'done'; id: number; result: Result } | { type: 'failed'; id: number; message: string };

/** What every writer thread starts with: the SQLite file it writes, its migrations already run. */
export interface WriterThreadData {
  file: string;
}

const STOP_TIMEOUT_MS = 10_000;

interface Waiting<Result> {
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

/**
 * A thread of its own for a SQLite file's writes (see `serveWriterCalls` for its side): the
 * statements and the fsync of each commit run off the broker's event loop. Calls are answered
 * in the order they were made, each once its work is committed. Should the thread die, the calls
 * it held fail (so nothing is acknowledged that was not written) and the next call starts a new one.
 */
export class WriterThread<Request, Result> {
  private worker: Promise<Worker> | undefined;
  private readonly waiting = new Map<number, Waiting<Result>>();
  private nextId = 1;
  private stopped = false;

  constructor(
    /** What the thread stores, for errors and logs: `telemetry`, `shadow`. */
    private readonly what: string,
    /** The built worker script. */
    private readonly workerFile: URL,
    /** The SQLite file the thread writes. */
    private readonly dbFile: string,
    private readonly logger: Logger,
  ) {}

  /** Starts the thread; resolves once it has opened its store. */
  async start(): Promise<void> {
    await this.thread();
  }

  async call(request: Request): Promise<Result> {
    if (this.stopped) throw new Error(`${this.what} store is closed`);
    const worker = await this.thread();
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ type: 'call', id, request } satisfies ToWriterThread<Request>);
    });
  }

  /** Lets the thread finish the calls it holds, then ends it (terminated after a timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    const starting = this.worker;
    this.worker = undefined;
    const worker = await starting?.catch(() => undefined);
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToWriterThread<Request>);
    });
  }

  private thread(): Promise<Worker> {
    this.worker ??= this.spawn();
    return this.worker;
  }

  private spawn(): Promise<Worker> {
    const worker = new Worker(this.workerFile, { workerData: { file: this.dbFile } satisfies WriterThreadData });
    const started = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: FromWriterThread<Result>) => {
        if (message.type === 'ready') return resolve(worker);
        const waiting = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.type === 'done') waiting?.resolve(message.result);
        else waiting?.reject(new Error(`${this.what} write failed: ${message.message}`));
      });
      worker.on('error', (error) => {
        this.logger.error({ err: error }, `${this.what} writer thread failed`);
        reject(error);
      });
      worker.once('exit', (code) => {
        // Calls still waiting were never answered: they fail, so none is acknowledged.
        if (this.worker === started) this.worker = undefined;
        const lost = new Error(`${this.what} writer thread exited (code ${code})`);
        for (const waiting of this.waiting.values()) waiting.reject(lost);
        this.waiting.clear();
        reject(lost);
      });
    });
    return started;
  }
}
