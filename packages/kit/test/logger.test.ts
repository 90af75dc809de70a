import { createHttpApp, finishHttpApp } from '../src/http.js';
import { createLogger } from '../src/logger.js';
import { captureLogger } from './support/capture-logger.js';
import { serve } from './support/http-server.js';

const SECRET = 'S3cret-value-that-must-not-leak';

describe('createLogger', () => {
  it('is a pino logger with the asked level and name', () => {
    const logger = createLogger({ level: 'warn', name: 'unit' });
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it.each([
    ['a top-level password', { password: SECRET }],
    ['a nested password', { user: { password: SECRET } }],
    ['an activation code', { device: { activationCode: SECRET } }],
    ['a private key', { privateKey: SECRET }],
    ['an access token', { body: { access_token: SECRET } }],
    ['an authorization header', { req: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ['a cookie header', { req: { headers: { cookie: `session=${SECRET}` } } }],
    ['an api key header', { req: { headers: { 'x-api-key': SECRET } } }],
  ])('redacts %s', (_what, fields) => {
    const log = captureLogger();
    log.logger.info(fields, 'something happened');
    expect(log.text()).toContain('[redacted]');
    expect(log.text()).not.toContain(SECRET);
  });

  // pino redaction paths match fixed depths, so the logger lists secrets at several depths; these
  // are deeper than the request's own fields.
  it.each([
    ['an outgoing call\'s authorization header', { call: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ['a password two levels deep', { body: { user: { password: SECRET } } }],
  ])('redacts %s', (_what, fields) => {
    const log = captureLogger();
    log.logger.info(fields, 'something happened');
    expect(log.text()).not.toContain(SECRET);
  });

  it('redacts in child loggers too', () => {
    const log = captureLogger();
    log.logger.child({ module: 'portal' }).info({ password: SECRET }, 'login');
    expect(log.lines()).toEqual([expect.objectContaining({ module: 'portal', password: '[redacted]' })]);
  });

  it('keeps fields that are not secrets', () => {
    const log = captureLogger();
    log.logger.info({ thingName: 'kitchen-1' }, 'stored');
    expect(log.lines()).toEqual([expect.objectContaining({ thingName: 'kitchen-1', msg: 'stored' })]);
  });

  it('logs HTTP requests without authorization headers or query strings', async () => {
    const log = captureLogger();
    const app = createHttpApp({ logger: log.logger });
    app.get('/thing', (_req, res) => {
      res.json({ ok: true });
    });
    finishHttpApp(app);
    const server = await serve(app);
    try {
      const response = await fetch(`${server.url}/thing?secret_key=${SECRET}`, {
        headers: { authorization: `Bearer ${SECRET}`, 'x-request-id': 'log-test-0001' },
      });
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
    const line = log.lines().find((entry) => (entry.req as { id?: string } | undefined)?.id === 'log-test-0001');
    expect(line).toMatchObject({ module: 'http', req: { method: 'GET', path: '/thing' } });
    expect(log.text()).not.toContain(SECRET);
  });
});
