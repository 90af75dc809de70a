import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createElasticClient } from '../src/adapters/elasticsearch/elastic-client.factory.js';

// A loopback HTTP server standing in for the cluster's root endpoint: only the headers the client
// sends are under test, not Elasticsearch.
let server: Server;
let url: string;
let seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(JSON.stringify({ name: 'node-1', cluster_name: 'test', version: { number: '9.1.0' }, tagline: 'You Know, for Search' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
});

describe('createElasticClient', () => {
  it('sends the API key as an ApiKey authorization', async () => {
    const client = createElasticClient({ url, apiKey: 'a2V5LWlkOmtleS1zZWNyZXQ=' });
    await client.info();
    await client.close();
    expect(seen[0]?.authorization).toBe('ApiKey a2V5LWlkOmtleS1zZWNyZXQ=');
  });

  it('sends no authorization without a key', async () => {
    const client = createElasticClient({ url });
    await client.info();
    await client.close();
    expect(seen[0]?.authorization).toBeUndefined();
  });
});
