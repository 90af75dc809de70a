import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { callVendor } from '../src/adapters/vendor/analyser-vendor.call.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x20);

// A vendor stand-in on 127.0.0.1 that never ends its body: only a reader that stops on its own returns.
describe('a vendor call', () => {
  let server: Server;
  let url: string;
  let status = 200;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && res.write(CHUNK));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/detect`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const call = () => callVendor(url, { headers: {}, body: '{}', signal: AbortSignal.timeout(5_000) }, z.unknown());

  it('stops reading a chunked answer past its size cap, with no content-length to go by', async () => {
    status = 200;
    await expect(call()).resolves.toEqual({ ok: false, status: 'error', error: "the vendor's answer is too large" });
  });

  it('does not read the body of an error status', async () => {
    status = 500;
    await expect(call()).resolves.toEqual({ ok: false, status: 'error', error: 'the vendor answered 500' });
  });
});
