import { createHttpApp, finishHttpApp, type HttpAppOptions } from '../src/http.js';
import { captureLogger } from './support/capture-logger.js';
import { serve, type Running } from './support/http-server.js';
import { requestFrom } from './support/request-from.js';

/** An app that answers with the client address express settled on. */
async function serveIp(trustProxy?: HttpAppOptions['trustProxy']): Promise<Running> {
  const app = createHttpApp({ logger: captureLogger().logger, ...(trustProxy ? { trustProxy } : {}) });
  app.get('/ip', (req, res) => {
    res.json({ ip: req.ip });
  });
  finishHttpApp(app);
  return serve(app);
}

const ipSeen = async (server: Running, from: string, forwardedFor?: string): Promise<string> => {
  const response = await requestFrom(from, `${server.url}/ip`, forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {});
  expect(response.status).toBe(200);
  return (JSON.parse(response.body) as { ip: string }).ip;
};

describe('createHttpApp trust proxy', () => {
  describe('with a list of proxies (127.0.0.2 plays the gateway)', () => {
    let server: Running;
    beforeAll(async () => {
      server = await serveIp(['127.0.0.2']);
    });
    afterAll(() => server.close());

    it('takes the client address from X-Forwarded-For sent by a trusted peer', async () => {
      expect(await ipSeen(server, '127.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    });

    it('takes the address the trusted proxy saw, not one the client prepended', async () => {
      expect(await ipSeen(server, '127.0.0.2', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    });

    it('ignores X-Forwarded-For from a peer that is not in the list', async () => {
      expect(await ipSeen(server, '127.0.0.3', '203.0.113.7')).toBe('127.0.0.3');
    });

    it('uses the peer address when a trusted peer sends no X-Forwarded-For', async () => {
      expect(await ipSeen(server, '127.0.0.2')).toBe('127.0.0.2');
    });
  });

  describe('without a list', () => {
    let server: Running;
    beforeAll(async () => {
      server = await serveIp();
    });
    afterAll(() => server.close());

    it('trusts loopback peers only', async () => {
      expect(await ipSeen(server, '127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
    });
  });
});
