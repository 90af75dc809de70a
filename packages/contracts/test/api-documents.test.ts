import {
  API_ROUTES,
  API_SCHEMAS,
  AsyncApiDocument,
  buildAsyncApiDocument,
  buildOpenApiDocument,
  OpenApiDocument,
  TelemetryPayload,
} from '../src/index.js';

type Json = Record<string, unknown>;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Every `$ref` in a document, with where it was found. */
function refsOf(value: unknown, at = '#'): Array<{ ref: string; at: string }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => refsOf(item, `${at}/${index}`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [{ ref: item, at }] : refsOf(item, `${at}/${key}`),
  );
}

/** Resolves a local JSON pointer (RFC 6901) in a document; `undefined` if nothing is there. */
function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((token) => decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node && typeof node === 'object' ? (node as Json)[token] : undefined), document);
}

const unresolved = (document: unknown) => refsOf(document).filter(({ ref }) => resolvePointer(document, ref) === undefined);

const operationsOf = (document: OpenApiDocument) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ path, method, operation: operation as Json })),
  );

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();
  const operations = operationsOf(document);

  it('is an OpenAPI 3.1 document, the same on every build, and plain JSON', () => {
    expect(OpenApiDocument.parse(document).openapi).toBe('3.1.0');
    expect(buildOpenApiDocument()).toEqual(document);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('declares, with a description, every tag its operations use', () => {
    const declared = new Set(((document as { tags?: Array<{ name: string }> }).tags ?? []).map((tag) => tag.name));
    const used = new Set(operations.flatMap(({ operation }) => (operation.tags as string[] | undefined) ?? []));
    expect([...used].filter((tag) => !declared.has(tag))).toEqual([]);
  });

  it('takes the info it is given', () => {
    expect(buildOpenApiDocument({ version: '9.9.9' }).info).toMatchObject({ title: 'Citus IoT REST API', version: '9.9.9' });
  });

  it('has an operation under every path, and one per route of the table', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      expect([path, Object.keys(item).filter((method) => HTTP_METHODS.has(method)).length > 0]).toEqual([path, true]);
    }
    expect(operations.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
      API_ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
    );
  });

  it('resolves every $ref', () => {
    expect(refsOf(document).length).toBeGreaterThan(50);
    expect(unresolved(document)).toEqual([]);
  });

  it('gives every operation a unique operationId and a success response', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of operations) {
      const statuses = Object.keys(operation.responses as Json);
      expect([path, statuses.some((status) => /^2\d\d$/.test(status))]).toEqual([path, true]);
    }
  });

  it('declares each path template parameter, and no other path parameter', () => {
    for (const { path, operation } of operations) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      const declared = (operation.parameters as Json[]).filter((parameter) => parameter.in === 'path');
      expect([path, declared.map((parameter) => parameter.name).sort()]).toEqual([path, inTemplate]);
      expect(declared.every((parameter) => parameter.required === true)).toBe(true);
    }
  });

  it('asks for a bearer JWT exactly where the route needs a signed-in person, or an API key where it takes one', () => {
    const schemes = (document.components as { securitySchemes: Json }).securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' });
    for (const route of API_ROUTES) {
      const operation = document.paths[route.path]?.[route.method] as Json;
      const bearer = !['public', 'device'].includes(route.access);
      const expected = bearer ? [{ bearer: [] }, ...(route.apiKeyScope ? [{ apiKey: [] }] : [])] : [];
      expect([route.operationId, operation.security]).toEqual([route.operationId, expected]);
      expect([route.operationId, operation['x-citus-api-key-scope']]).toEqual([route.operationId, route.apiKeyScope]);
      if (bearer) expect([route.operationId, route.errors.includes(401)]).toEqual([route.operationId, true]);
      if (route.access.endsWith('admin')) expect([route.operationId, route.errors.includes(403)]).toEqual([route.operationId, true]);
    }
  });

  it('takes the workspace header exactly on workspace-scoped routes', () => {
    for (const route of API_ROUTES) {
      const parameters = (document.paths[route.path]?.[route.method] as { parameters: Json[] }).parameters;
      const takesHeader = parameters.some((parameter) => parameter.$ref === '#/components/parameters/Workspace');
      expect([route.operationId, takesHeader]).toEqual([route.operationId, route.workspaceScoped === true]);
    }
    expect(resolvePointer(document, '#/components/parameters/Workspace')).toMatchObject({ name: 'X-Citus-Workspace', in: 'header' });
  });

  it('names every request and JSON response body in the contracts', () => {
    const named = new Set(Object.values(API_SCHEMAS));
    for (const route of API_ROUTES) {
      const bodies = [route.body, ...Object.values(route.responses).map((response) => response?.schema)];
      for (const body of bodies.filter((schema) => schema !== undefined)) {
        expect([route.operationId, named.has(body)]).toEqual([route.operationId, true]);
      }
    }
  });

  it('describes every error with the one envelope', () => {
    const responses = (document.components as { responses: Record<string, Json> }).responses;
    for (const response of Object.values(responses)) {
      expect(response.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } });
    }
  });
});

describe('the AsyncAPI document', () => {
  type Shape = {
    servers: Record<string, Json>;
    channels: Record<string, Json>;
    operations: Record<string, Json & { bindings: { mqtt: Json } }>;
    components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  };
  const document = buildAsyncApiDocument();
  const json = document as unknown as Shape;

  it('is an AsyncAPI 3.0 document that resolves every $ref', () => {
    expect(AsyncApiDocument.parse(document).asyncapi).toBe('3.0.0');
    expect(unresolved(document)).toEqual([]);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('describes every topic of the device API: telemetry, shadows, jobs, provisioning, presence, application topics', () => {
    const addresses = Object.values(json.channels).map((channel) => channel.address as string);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses.slice(0, 2)).toEqual(['telemetry/{thingName}', 'telemetry/{thingName}/{stream}']);
    for (const address of [
      '$aws/things/{thingName}/shadow/update',
      '$aws/things/{thingName}/shadow/update/delta',
      '$aws/things/{thingName}/shadow/name/{shadowName}/get/accepted',
      '$aws/things/{thingName}/jobs/start-next',
      '$aws/things/{thingName}/jobs/notify-next',
      '$aws/certificates/create-from-csr/json/accepted',
      '$aws/provisioning-templates/{templateName}/provision/json',
      '$aws/events/presence/disconnected/{clientId}',
      'things/{thingName}/{topic}',
    ]) {
      expect(addresses).toContain(address);
    }
    const receiveTelemetry = json.operations.receiveTelemetry as Json & { bindings: { mqtt: Json } };
    expect(receiveTelemetry).toMatchObject({ action: 'receive' });
    expect(receiveTelemetry.bindings.mqtt.qos).toBe(1);
    expect(json.operations.sendShadowUpdateDelta).toMatchObject({ action: 'send' });
    for (const operation of Object.values(json.operations)) {
      const channel = (operation.channel as { $ref: string }).$ref;
      for (const message of operation.messages as Array<{ $ref: string }>) expect(message.$ref.startsWith(`${channel}/messages/`)).toBe(true);
    }
  });

  it('puts the hub on MQTT over TLS, port 8883 unless told, with X.509 device certificates', () => {
    expect(json.servers.hub).toMatchObject({ host: 'localhost:8883', protocol: 'secure-mqtt' });
    expect(Object.values(json.components.securitySchemes).map((scheme) => scheme.type)).toEqual(['X509']);
    expect((buildAsyncApiDocument({ host: 'iot.example.com', port: 18883 }) as unknown as Shape).servers.hub?.host).toBe('iot.example.com:18883');
  });

  it('carries the TelemetryPayload schema and the topic rules', () => {
    expect(json.components.schemas.TelemetryPayload).toMatchObject({ type: 'object', properties: { value: { type: 'number' } } });
    expect(TelemetryPayload.safeParse({ value: 1, extra: true }).success).toBe(true);
    const rules = String((document.info as Json).description);
    for (const rule of ['client id must be the thing name', 'disconnects', '128 KB', 'dead-lettered', 'QoS 1']) {
      expect(rules).toContain(rule);
    }
  });
});
