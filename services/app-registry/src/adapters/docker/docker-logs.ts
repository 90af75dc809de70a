import { PassThrough, Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type Dockerode from 'dockerode';

/**
 * Text lines of a multiplexed log stream (containers and services without a TTY, which the
 * runtime never asks for). stdout and stderr are demultiplexed into one sink, so lines keep the
 * engine's order; the engine's stream is destroyed when the reader stops early.
 */
export async function* logLines(docker: Dockerode, source: NodeJS.ReadableStream | Buffer, signal?: AbortSignal): AsyncGenerator<string> {
  const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const sink = new PassThrough();
  docker.modem.demuxStream(stream, sink, sink);
  stream.on('end', () => sink.end());
  stream.on('close', () => sink.end());
  stream.on('error', (error: Error) => sink.destroy(error));
  // An abort ends the lines now: a quiet app would otherwise hold the engine's connection open.
  const stop = () => {
    (stream as Readable).destroy?.();
    sink.end();
  };
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  const lines = createInterface({ input: sink, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    signal?.removeEventListener('abort', stop);
    lines.close();
    (stream as Readable).destroy?.();
  }
}
