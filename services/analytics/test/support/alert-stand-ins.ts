import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StandInAnswer {
  status: number;
  body?: unknown;
  /** Answers only after this long (a slow vendor or receiver). */
  delayMs?: number;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a party the platform calls: a webhook
 * receiver, or an analysis vendor. It records what it is sent and answers as told.
 */
export interface StandIn {
  url: string;
  received: ReceivedRequest[];
  answerWith(answer: (request: ReceivedRequest) => StandInAnswer): void;
  close(): Promise<void>;
}

export async function startStandIn(): Promise<StandIn> {
  const received: ReceivedRequest[] = [];
  let answer: (request: ReceivedRequest) => StandInAnswer = () => ({ status: 200, body: {} });
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const { status, body, delayMs = 0 } = answer(request);
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answerWith(next) {
      answer = next;
    },
    async close() {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

/** Checks `X-Citus-Signature: t=<ts>,v1=<hex>` as a receiver would: HMAC-SHA256 of `<ts>.<body>` with the shared secret. */
export function signatureVerifies(header: string | string[] | undefined, secret: string, body: Buffer): boolean {
  const match = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.`).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex'));
}

export async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, what: string, withinMs = 10_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}
