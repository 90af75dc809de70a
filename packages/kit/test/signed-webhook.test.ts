import { createHmac } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isNonPublicAddress, postWebhook, publicLookup, signWebhook } from '../src/signed-webhook.js';

describe('signed webhooks', () => {
  let server: Server;
  let port: number;
  const received: Array<{ body: string; signature: string | undefined; contentType: string | undefined }> = [];
  /** Answers held back: a receiver that never answers. */
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-citus-signature'] as string, contentType: req.headers['content-type'] });
        if (req.url === '/hang') return void hanging.push(res);
        if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end();
        // Answers at once, then never finishes its body.
        if (req.url === '/trickle') {
          res.writeHead(200, { 'content-type': 'text/plain' }).write('partial');
          return void hanging.push(res);
        }
        res.writeHead(req.url === '/busy' ? 503 : req.url === '/bad' ? 400 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const res of hanging) res.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, publicOnly?: boolean) =>
    postWebhook({ url: `http://127.0.0.1:${port}${path}`, body: '{"a":1}', signature: signWebhook('s3cret', 1700000000, '{"a":1}'), userAgent: 'test/1', timeoutMs: 2000, ...(publicOnly === undefined ? {} : { publicOnly }) });

  it('POSTs the body with its signature, and says which answers are worth another try', async () => {
    await expect(post('/ok')).resolves.toEqual({ ok: true, httpStatus: 204 });
    expect(received.at(-1)).toEqual({
      body: '{"a":1}',
      signature: `t=1700000000,v1=${createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex')}`,
      contentType: 'application/json',
    });
    await expect(post('/busy')).resolves.toMatchObject({ ok: false, retryable: true, httpStatus: 503 });
    await expect(post('/bad')).resolves.toMatchObject({ ok: false, retryable: false, httpStatus: 400 });
  });

  it('gives up on a receiver that does not answer within the time, and may try again', async () => {
    const started = Date.now();
    const outcome = await postWebhook({ url: `http://127.0.0.1:${port}/hang`, body: '{}', signature: 's', userAgent: 'test/1', timeoutMs: 300 });
    expect(outcome).toEqual({ ok: false, retryable: true, error: 'timed out' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The connection it held is cut: the receiver sees it close without having answered.
    const held = hanging.at(-1) as ServerResponse;
    const closed = await Promise.race([new Promise((resolve) => held.once('close', () => resolve('closed'))), new Promise((resolve) => setTimeout(() => resolve('still open'), 1_000))]);
    expect([closed, held.writableEnded]).toEqual(['closed', false]);
  });

  it('takes the status as the outcome once the headers come, whatever the body does after', async () => {
    const outcome = await postWebhook({ url: `http://127.0.0.1:${port}/trickle`, body: '{}', signature: 's', userAgent: 'test/1', timeoutMs: 300 });
    expect(outcome).toEqual({ ok: true, httpStatus: 200 });
    // The body that never ends is cut when undici's body timeout (timeoutMs) passes, so the connection is not held.
    const held = hanging.at(-1) as ServerResponse;
    const closed = await Promise.race([new Promise((resolve) => held.once('close', () => resolve('closed'))), new Promise((resolve) => setTimeout(() => resolve('still open'), 2_000))]);
    expect(closed).toBe('closed');
  });

  it('follows no redirect, fails for good on a header no receiver could be sent, and may retry a refused connection', async () => {
    await expect(post('/moved')).resolves.toEqual({ ok: false, retryable: false, httpStatus: 302, error: 'the receiver answered 302' });
    const badHeader = await postWebhook({ url: `http://127.0.0.1:${port}/ok`, body: '{}', signature: 's', headers: { 'x-thing': 'a\r\nb' }, userAgent: 'test/1', timeoutMs: 2000 });
    expect(badHeader).toMatchObject({ ok: false, retryable: false });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await postWebhook({ url: `http://127.0.0.1:${closedPort}/ok`, body: '{}', signature: 's', userAgent: 'test/1', timeoutMs: 2000 });
    expect(refused).toEqual({ ok: false, retryable: true, error: 'connection failed (ECONNREFUSED)' });
    for (const url of ['not a url', 'file:///etc/passwd', `blob:http://127.0.0.1:${port}/ok`]) {
      await expect(postWebhook({ url, body: '{}', signature: 's', userAgent: 'test/1', timeoutMs: 2000, publicOnly: true })).resolves.toEqual({ ok: false, retryable: false, error: 'not an http(s) URL' });
    }
  });

  it('refuses a non-public address when asked to, without connecting', async () => {
    const before = received.length;
    await expect(post('/ok', true)).resolves.toEqual({ ok: false, retryable: false, error: '127.0.0.1 is not a public address' });
    await expect(postWebhook({ url: `http://localhost:${port}/ok`, body: '{}', signature: 's', userAgent: 'test/1', timeoutMs: 2000, publicOnly: true })).resolves.toMatchObject({ ok: false, retryable: false });
    expect(received.length).toBe(before);
  });

  it('refuses a name that resolves to a non-public address', async () => {
    const outcome = await new Promise<{ code?: string }>((resolve) => publicLookup('localhost', {}, (error) => resolve({ code: (error as { code?: string } | null)?.code })));
    expect(outcome.code).toBe('ENONPUBLIC');
  });

  it('tells public from non-public addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect([address, isNonPublicAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([address, isNonPublicAddress(address)]).toEqual([address, false]);
  });
});
