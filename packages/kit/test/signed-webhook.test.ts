import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isNonPublicAddress, postWebhook, publicLookup, signWebhook } from '../src/signed-webhook.js';

describe('signed webhooks', () => {
  let server: Server;
  let port: number;
  const received: Array<{ body: string; signature: string | undefined; contentType: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-citus-signature'] as string, contentType: req.headers['content-type'] });
        res.writeHead(req.url === '/busy' ? 503 : req.url === '/bad' ? 400 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

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
