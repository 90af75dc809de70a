import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@citus/kit';
import { FetchAppHealthProbe } from '../src/adapters/net/http-health.probe.js';
import { onLoopback } from '../src/domain/container-runtime.port.js';

/** A real server on 127.0.0.1: /healthz answers 200, /moved redirects to another host, /hang never answers. */
async function appServer(): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    if (request.url === '/hang') return;
    if (request.url === '/healthz') return void response.end('ok');
    if (request.url === '/moved') return void response.writeHead(302, { location: 'http://example.com/healthz' }).end();
    response.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

describe('FetchAppHealthProbe', () => {
  const probe = new FetchAppHealthProbe();
  let app: Awaited<ReturnType<typeof appServer>>;

  beforeAll(async () => {
    app = await appServer();
  });
  afterAll(async () => {
    app.server.closeAllConnections();
    await new Promise((resolve) => app.server.close(resolve));
  });

  it('is healthy on a 2xx', async () => {
    expect(await probe.probe(onLoopback(app.port), '/healthz', 2_000)).toEqual({ healthy: true });
    expect(app.paths.at(-1)).toBe('/healthz');
  });

  it('says what the app answered otherwise, and does not follow a redirect', async () => {
    expect(await probe.probe(onLoopback(app.port), '/nope', 2_000)).toEqual({ healthy: false, detail: 'answered 404' });
    expect(await probe.probe(onLoopback(app.port), '/moved', 2_000)).toEqual({ healthy: false, detail: 'answered 302' });
  });

  it('gives up on an app that does not answer in time', async () => {
    const started = Date.now();
    expect(await probe.probe(onLoopback(app.port), '/hang', 300)).toEqual({ healthy: false, detail: 'no answer within 0.3 s' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says the connection was refused on a port nothing listens on', async () => {
    expect(await probe.probe(onLoopback(await freePort('127.0.0.1')), '/healthz', 2_000)).toEqual({ healthy: false, detail: 'no answer (ECONNREFUSED)' });
  });

  it('keeps a path that looks like another authority on the app', async () => {
    expect(await probe.probe(onLoopback(app.port), '//example.com/healthz', 2_000)).toEqual({ healthy: false, detail: 'answered 404' });
    expect(app.paths.at(-1)).toBe('//example.com/healthz');
  });
});
