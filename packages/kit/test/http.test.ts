import { z } from 'zod';
import { ErrorEnvelope, type ErrorCode } from '@citus/contracts';
import { AppError, STATUS_BY_CODE } from '../src/errors.js';
import { createHttpApp, finishHttpApp, parse } from '../src/http.js';
import { captureLogger, type CapturedLogger } from './support/capture-logger.js';
import { serve, type Running } from './support/http-server.js';

const Body = z.object({ name: z.string().min(1), count: z.number().int() }).strict();

/** An app with one route per kind of failure the error handler must map. */
function testApp(log: CapturedLogger) {
  const app = createHttpApp({ logger: log.logger, bodyLimit: '1kb' });
  app.get('/fail/:code', (req) => {
    throw new AppError(req.params.code as ErrorCode, `failed with ${req.params.code}`, { hint: 'details kept' });
  });
  app.post('/zod', (req, res) => {
    res.json(Body.parse(req.body));
  });
  app.post('/parse', (req, res) => {
    res.json(parse(Body, req.body));
  });
  app.get('/crash', () => {
    throw new Error('connection string postgres://user:hunter2@db');
  });
  app.get('/async-crash', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read properties of undefined');
  });
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  finishHttpApp(app);
  return app;
}

async function errorOf(response: Response) {
  const body = ErrorEnvelope.parse(await response.json());
  return { status: response.status, header: response.headers.get('x-request-id'), ...body.error };
}

const postJson = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('createHttpApp / finishHttpApp error envelope', () => {
  let log: CapturedLogger;
  let server: Running;

  beforeAll(async () => {
    log = captureLogger();
    server = await serve(testApp(log));
  });
  afterAll(() => server.close());

  it.each(Object.entries(STATUS_BY_CODE))('maps AppError %s to %i with its message and details', async (code, status) => {
    const error = await errorOf(await fetch(`${server.url}/fail/${code}`));
    expect(error).toMatchObject({ status, code, message: `failed with ${code}`, details: { hint: 'details kept' } });
  });

  it('answers a zod failure with 400 bad_request and the issues as details', async () => {
    const error = await errorOf(await postJson(`${server.url}/zod`, JSON.stringify({ name: '', count: 1.5, extra: 1 })));
    expect(error.status).toBe(400);
    expect(error.code).toBe('bad_request');
    const paths = (error.details as Array<{ path: unknown[] }>).map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'count']));
  });

  it('answers a failed parse() the same way', async () => {
    const error = await errorOf(await postJson(`${server.url}/parse`, JSON.stringify({ name: 'x' })));
    expect(error).toMatchObject({ status: 400, code: 'bad_request' });
    expect(error.details).toEqual([expect.objectContaining({ path: ['count'] })]);
  });

  it('answers a body that is not JSON with 400', async () => {
    const error = await errorOf(await postJson(`${server.url}/echo`, '{"name": '));
    expect(error).toMatchObject({ status: 400, code: 'bad_request', message: 'request body is not valid JSON' });
  });

  it('answers a body over the limit with 413', async () => {
    const error = await errorOf(await postJson(`${server.url}/echo`, JSON.stringify({ blob: 'x'.repeat(2048) })));
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('accepts a body under the limit', async () => {
    const response = await postJson(`${server.url}/echo`, JSON.stringify({ a: 1 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ a: 1 });
  });

  it('answers an unknown route with 404 not_found', async () => {
    const error = await errorOf(await fetch(`${server.url}/no/such/route`));
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it.each(['/crash', '/async-crash'])('turns an unknown error at %s into a generic 500, logged with its stack', async (path) => {
    const response = await fetch(`${server.url}${path}`, { headers: { 'x-request-id': 'trace-crash-0001' + path.length } });
    const error = await errorOf(response);
    expect(error).toMatchObject({ status: 500, code: 'internal', message: 'internal error' });
    expect(error.details).toBeUndefined();
    expect(error.requestId).toBe(`trace-crash-0001${path.length}`);
    expect(JSON.stringify(error)).not.toContain('hunter2');
    const logged = log.lines().find((line) => line.msg === 'unhandled error' && (line.req as { id?: string })?.id === error.requestId);
    expect((logged?.err as { stack?: string })?.stack).toMatch(/Error/);
  });

  it('does not answer with an x-powered-by header', async () => {
    const response = await fetch(`${server.url}/no/such/route`);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  // A client error from the body parser (415 unsupported content encoding) is the client's
  // fault, yet the handler only knows two body-parser error types and answers 500 for the rest.
  it('answers a body-parser client error (unsupported content-encoding) with a 4xx, not a 500', async () => {
    const response = await postJson(`${server.url}/echo`, '{}', { 'content-encoding': 'x-citus-unknown' });
    const error = await errorOf(response);
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
  });
});

describe('x-request-id', () => {
  let server: Running;

  beforeAll(async () => {
    server = await serve(testApp(captureLogger('silent')));
  });
  afterAll(() => server.close());

  it('echoes a sane incoming id in the header and the error body', async () => {
    const error = await errorOf(await fetch(`${server.url}/nowhere`, { headers: { 'x-request-id': 'abc.DEF_123-456' } }));
    expect(error.header).toBe('abc.DEF_123-456');
    expect(error.requestId).toBe('abc.DEF_123-456');
  });

  it.each([
    ['too short', 'abc'],
    ['bad characters', 'id with spaces!!'],
    ['log injection', 'abcdefgh\\n{"level":60}'],
    ['too long', 'a'.repeat(65)],
  ])('replaces an id that is %s with a fresh UUID', async (_why, incoming) => {
    const error = await errorOf(await fetch(`${server.url}/nowhere`, { headers: { 'x-request-id': incoming } }));
    expect(error.header).not.toBe(incoming);
    expect(error.header).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(error.requestId).toBe(error.header);
  });

  it('makes a different id for each request without one', async () => {
    const first = await errorOf(await fetch(`${server.url}/nowhere`));
    const second = await errorOf(await fetch(`${server.url}/nowhere`));
    expect(first.requestId).not.toBe(second.requestId);
  });
});
