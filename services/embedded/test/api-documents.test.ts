import {
  API_ROUTES,
  AsyncApiDocument,
  buildOpenApiDocument,
  ErrorEnvelope,
  findApiRoute,
  OpenApiDocument,
  toOpenApiPath,
  type ApiRoute,
  type DeclaredDevice,
  type User,
} from '@citus/contracts';
import { createKeyAndCsr } from '@citus/pki';
import { Api, ADMIN_PASSWORD, bootTestPlatform, type ApiResponse, type TestPlatform } from './support/test-platform.js';

const UNKNOWN_DEVICE = 'dev_000000000000000000000000';

/** A URL for a route, its path parameters filled with well-formed values. */
function urlOf(route: ApiRoute): string {
  const samples: Record<string, string> = { id: UNKNOWN_DEVICE, slug: 'default' };
  const path = route.path.replace(/\{([^}]+)\}/g, (_match, name: string) => samples[name] ?? name);
  return route.query ? `${path}?thingName=nothing-here` : path;
}

const isNoSuchRoute = (response: ApiResponse): boolean =>
  response.status === 404 && (response.body as ErrorEnvelope | undefined)?.error?.message === 'no such route';

const bearerRoutes = API_ROUTES.filter((route) => !['public', 'device'].includes(route.access));
const openRoutes = API_ROUTES.filter((route) => ['public', 'device'].includes(route.access));
const asCase = (route: ApiRoute) => [route.method.toUpperCase(), route.path, route] as const;

/**
 * Checks an answer against the route table: a documented status, and a body that parses with its
 * documented schema (the error envelope for error statuses). `path` is in OpenAPI form.
 */
function expectDocumented(method: string, path: string, response: ApiResponse): void {
  const route = findApiRoute(method, path);
  if (!route) throw new Error(`${method} ${path} is not in the route table`);
  const spec = route.responses[response.status];
  const where = `${method} ${path} answered ${response.status}`;
  if (!spec) {
    const documented = (route.errors as number[]).includes(response.status);
    expect([where, documented]).toEqual([where, true]);
    ErrorEnvelope.parse(response.body);
    return;
  }
  const contentType = spec.contentType ?? 'application/json';
  if (spec.schema || spec.contentType) expect([where, response.headers.get('content-type')]).toEqual([where, expect.stringContaining(contentType)]);
  if (spec.schema && contentType === 'application/json') spec.schema.parse(response.body);
  if (!spec.schema && !spec.contentType) expect([where, response.body]).toEqual([where, '']);
}

// The drift test: the route table (and so the OpenAPI document) and what express serves are the same.
describe('the API documents', () => {
  let platform: TestPlatform;
  let anonymous: Api;
  let admin: Api;
  let dora: Api; // a `user` of "default", no admin of anything
  let doraUser: User;

  beforeAll(async () => {
    platform = await bootTestPlatform();
    anonymous = new Api(platform.baseUrl);
    admin = await Api.login(platform.baseUrl, 'admin', ADMIN_PASSWORD);
    const created = await admin.post<User>('/api/v1/users', { username: 'dora', password: 'dora-Passw0rd!' });
    expectDocumented('POST', '/api/v1/users', created);
    doraUser = created.body;
    const member = await admin.put('/api/v1/workspaces/default/members', { userId: doraUser.id, role: 'user' });
    expectDocumented('PUT', '/api/v1/workspaces/{slug}/members', member);
    dora = await Api.login(platform.baseUrl, 'dora', 'dora-Passw0rd!');
  });
  afterAll(() => platform.destroy());

  it('serves both documents to anyone, the OpenAPI one as generated', async () => {
    const openApi = await anonymous.get<OpenApiDocument>('/api/v1/openapi.json');
    expectDocumented('GET', '/api/v1/openapi.json', openApi);
    expect(openApi.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    const asyncApi = await anonymous.get<AsyncApiDocument & { servers: { hub: { host: string } } }>('/api/v1/asyncapi.json');
    expectDocumented('GET', '/api/v1/asyncapi.json', asyncApi);
    expect(asyncApi.body.asyncapi).toBe('3.0.0');
    expect(asyncApi.body.servers.hub.host).toBe(`localhost:${platform.mqttPort}`);
    expect((await anonymous.get('/api/v1/openapi.json')).body).toEqual(openApi.body);
  });

  it('documents every route express serves, and nothing else', async () => {
    const served = platform.routes().map((route) => `${route.method} ${toOpenApiPath(route.path)}`);
    expect(new Set(served).size).toBe(served.length);
    expect(served.sort()).toEqual(API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort());
    const document = (await anonymous.get<OpenApiDocument>('/api/v1/openapi.json')).body;
    const inDocument = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(inDocument.sort()).toEqual(served);
  });

  it.each(API_ROUTES.map(asCase))('routes %s %s', async (method, _path, route) => {
    const response = await anonymous.request(method, urlOf(route), route.body ? {} : undefined);
    expect(isNoSuchRoute(response)).toBe(false);
  });

  it('answers "no such route" for what is not in the table', async () => {
    expect(isNoSuchRoute(await admin.get('/api/v1/no-such-thing'))).toBe(true);
    expect(isNoSuchRoute(await anonymous.request('PATCH', '/api/v1/workspaces'))).toBe(true);
  });

  describe('access as documented', () => {
    it.each(bearerRoutes.map(asCase))('%s %s needs a bearer token', async (method, path, route) => {
      const response = await anonymous.request(method, urlOf(route), route.body ? {} : undefined);
      expect(response.status).toBe(401);
      expectDocumented(method, path, response);
    });

    it.each(openRoutes.map(asCase))('%s %s needs none', async (method, _path, route) => {
      const response = await anonymous.request(method, urlOf(route), route.body ? {} : undefined);
      expect(response.status).not.toBe(401);
    });

    it.each(API_ROUTES.filter((route) => route.access.endsWith('admin')).map(asCase))(
      '%s %s is refused to a plain user',
      async (method, path, route) => {
        const body = route.body ? { userId: doraUser.id, role: 'admin' } : undefined;
        const response = await dora.request(method, urlOf(route), body);
        expect(response.status).toBe(403);
        expectDocumented(method, path, response);
      },
    );
  });

  describe('answers as documented', () => {
    it('for the platform and identity routes', async () => {
      expectDocumented('GET', '/healthz', await anonymous.get('/healthz'));
      expectDocumented('GET', '/api/v1/ca.pem', await anonymous.get('/api/v1/ca.pem'));
      expectDocumented('GET', '/.well-known/jwks.json', await anonymous.get('/.well-known/jwks.json'));
      expectDocumented('POST', '/api/v1/auth/token', await anonymous.post('/api/v1/auth/token', { username: 'dora', password: 'dora-Passw0rd!' }));
      expectDocumented('POST', '/api/v1/auth/token', await anonymous.post('/api/v1/auth/token', { username: 'dora', password: 'wrong' }));
      expectDocumented('GET', '/api/v1/me', await dora.get('/api/v1/me'));
      expectDocumented('GET', '/api/v1/users', await admin.get('/api/v1/users'));
      expectDocumented('GET', '/api/v1/workspaces', await dora.get('/api/v1/workspaces'));
      const workspace = await admin.post('/api/v1/workspaces', { slug: 'documented', name: 'Documented' });
      expect(workspace.status).toBe(201);
      expectDocumented('POST', '/api/v1/workspaces', workspace);
      expectDocumented('POST', '/api/v1/workspaces', await admin.post('/api/v1/workspaces', { slug: 'documented', name: 'Again' }));
    });

    it('through a device lifecycle', async () => {
      const declared = await dora.post<DeclaredDevice>('/api/v1/devices', { name: 'Documented sensor' });
      expect(declared.status).toBe(201);
      expectDocumented('POST', '/api/v1/devices', declared);
      const { id, thingName } = declared.body;
      const device = `/api/v1/devices/${id}`;
      expectDocumented('GET', '/api/v1/devices', await dora.get('/api/v1/devices'));
      expectDocumented('GET', '/api/v1/devices/{id}', await dora.get(device));
      expectDocumented('GET', '/api/v1/devices/{id}', await dora.get(`/api/v1/devices/${UNKNOWN_DEVICE}`));
      expectDocumented('GET', '/api/v1/devices/{id}', await dora.get('/api/v1/devices/not-an-id'));
      expectDocumented('PATCH', '/api/v1/devices/{id}', await dora.patch(device, { location: 'Lab' }));
      const renewed = await dora.post<{ activationCode: string }>(`${device}/activation-code`);
      expect(renewed.status).toBe(200);
      expectDocumented('POST', '/api/v1/devices/{id}/activation-code', renewed);

      const { csrPem } = await createKeyAndCsr(thingName);
      const activation = `${device}/activation`;
      expectDocumented('POST', '/api/v1/devices/{id}/activation', await anonymous.post(activation, { activationCode: 'wrong', csr: csrPem }));
      const activated = await anonymous.post(activation, { activationCode: renewed.body.activationCode, csr: csrPem });
      expect(activated.status).toBe(200);
      expectDocumented('POST', '/api/v1/devices/{id}/activation', activated);
      expectDocumented('POST', '/api/v1/devices/{id}/activation-code', await dora.post(`${device}/activation-code`));

      for (const path of ['/api/v1/telemetry', '/api/v1/telemetry/dead-letters']) {
        expectDocumented('GET', path, await dora.get(`${path}?thingName=${thingName}`));
        expectDocumented('GET', path, await dora.get(`${path}?thingName=not-mine`));
      }
      expectDocumented('POST', '/api/v1/devices/{id}/revoke', await dora.post(`${device}/revoke`));
      const deleted = await dora.delete(device);
      expect(deleted.status).toBe(204);
      expectDocumented('DELETE', '/api/v1/devices/{id}', deleted);
    });

    it('for the telemetry stream', async () => {
      const { thingName } = (await dora.post<DeclaredDevice>('/api/v1/devices', { name: 'Streaming sensor' })).body;
      const token = (await anonymous.post<{ access_token: string }>('/api/v1/auth/token', { username: 'dora', password: 'dora-Passw0rd!' })).body.access_token;
      const abort = new AbortController();
      const response = await fetch(`${platform.baseUrl}/api/v1/telemetry/stream?thingName=${thingName}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
      abort.abort();
      expect(response.status).toBe(200);
      expectDocumented('GET', '/api/v1/telemetry/stream', { status: 200, body: undefined, headers: response.headers });
    });
  });
});
