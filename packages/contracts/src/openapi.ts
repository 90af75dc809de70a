import { z } from 'zod';
import type { OpenApiDocument } from './api-document.schema.js';
import type { ApiResponseSpec, ApiRoute, ErrorStatus } from './api-route.js';
import { API_ROUTES, API_SCHEMAS } from './api-routes.js';
import { WorkspaceSlug } from './identity.schema.js';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

const DEFAULT_INFO: ApiInfo = {
  title: 'Citus IoT REST API',
  version: '1.0.0',
  description:
    'The public REST API of Citus IoT. Every error answers with the `ErrorEnvelope` body. Requests act in the ' +
    "caller's default workspace unless the `X-Citus-Workspace` header names another.",
};

const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'Invalid request: the JSON, the body, a path or query parameter' },
  401: { name: 'Unauthorized', description: 'No valid bearer token, or one for no known user' },
  403: { name: 'Forbidden', description: 'The caller may not do this' },
  404: { name: 'NotFound', description: 'No such resource here (one of another workspace counts as none)' },
  409: { name: 'Conflict', description: "The resource's state forbids this" },
  413: { name: 'PayloadTooLarge', description: 'The request body is too large' },
  429: { name: 'TooManyRequests', description: 'Too many attempts: try again later' },
  503: { name: 'Unavailable', description: 'A dependency, such as the identity provider, cannot be reached' },
};

const TAGS = [
  { name: 'platform', description: 'Health and the API descriptions' },
  { name: 'identity', description: 'Sign-in, users, workspaces and memberships' },
  { name: 'devices', description: 'Declaring, activating and revoking devices' },
  { name: 'telemetry', description: 'Reading what devices publish' },
  { name: 'shadows', description: "Devices' shadows (desired and reported state), as AWS IoT Device Shadow" },
  { name: 'jobs', description: 'Jobs for devices (the control plane of AWS IoT Jobs)' },
  { name: 'policies', description: 'AWS IoT-style policies attached to device certificates' },
  { name: 'rules', description: 'Topic rules: AWS IoT SQL over incoming messages, with actions' },
  { name: 'thing-groups', description: 'Static and dynamic (fleet indexing query) thing groups, for naming many things at once' },
  { name: 'releases', description: 'Software releases for devices: artifacts and container images, signed with the workspace\'s code-signing key' },
  { name: 'provisioning', description: 'Fleet provisioning by claim: templates and claim certificates' },
  { name: 'search', description: 'Searching telemetry and devices' },
  { name: 'apps', description: 'Container apps: manifests, review, marketplace, deployments, webhooks' },
  { name: 'analytics', description: 'Anomalies found in telemetry, live, and the detection settings' },
  { name: 'alerts', description: 'Alert rules, third-party image analysers, and the write-only workspace secrets they use' },
];

const usesBearer = (route: ApiRoute): boolean => route.access !== 'public' && route.access !== 'device';

/** Zod schemas as JSON Schema 2020-12 (OpenAPI 3.1's dialect): named ones by `$ref`, others inline. */
class SchemaSet {
  readonly components: Record<string, Json> = {};
  private readonly names = new Map<z.ZodType, string>();

  constructor(named: Readonly<Record<string, z.ZodType>>, routes: readonly ApiRoute[]) {
    for (const [name, schema] of Object.entries(named)) this.names.set(schema, name);
    // A request body is described as clients may send it (defaults optional), a response as it is sent.
    const inputs = new Set(routes.flatMap((route) => (route.body ? [route.body] : [])));
    for (const io of ['input', 'output'] as const) {
      const registry = z.registry<{ id: string }>();
      for (const [schema, id] of this.names) if (inputs.has(schema) === (io === 'input')) registry.add(schema, { id });
      const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
      for (const [id, json] of Object.entries(schemas)) this.components[id] = withoutDialect(json as Json);
    }
  }

  ref(schema: z.ZodType, io: Io): Json {
    const name = this.names.get(schema);
    return name ? { $ref: `#/components/schemas/${name}` } : this.inline(schema, io);
  }

  /** Inline, with no schema pulled out as a reference. */
  inline(schema: z.ZodType, io: Io): Json {
    return withoutDialect(z.toJSONSchema(schema, { io, metadata: z.registry() }) as Json);
  }
}

function withoutDialect(json: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = json;
  return rest;
}

function parameters(schemas: SchemaSet, object: z.ZodObject | undefined, location: 'path' | 'query'): Json[] {
  if (!object) return [];
  const json = schemas.inline(object, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema,
  }));
}

function content(schemas: SchemaSet, response: ApiResponseSpec): Json | undefined {
  const type = response.contentType ?? 'application/json';
  if (type === 'application/json') return response.schema ? { [type]: { schema: schemas.ref(response.schema, 'output') } } : undefined;
  // An event stream is text; the schema, if any, is that of each event's `data`.
  const eventData = response.schema ? { 'x-event-data': schemas.ref(response.schema, 'output') } : {};
  return { [type]: { schema: { type: 'string' }, ...eventData } };
}

function responses(schemas: SchemaSet, route: ApiRoute): Json {
  const answers: Json = {};
  for (const [status, response] of Object.entries(route.responses)) {
    if (!response) continue;
    const body = content(schemas, response);
    answers[status] = { description: response.description, ...(body ? { content: body } : {}) };
  }
  // Any bearer route answers 503 when the identity provider's keys cannot be had (Auth0 mode).
  const errors = new Set<ErrorStatus>([...route.errors, ...(usesBearer(route) ? [503 as const] : [])]);
  for (const status of [...errors].sort((a, b) => a - b)) answers[status] = { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  return answers;
}

function operation(schemas: SchemaSet, route: ApiRoute): Json {
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    'x-citus-access': route.access,
    ...(route.apiKeyScope ? { 'x-citus-api-key-scope': route.apiKeyScope } : {}),
    security: usesBearer(route) ? [{ bearer: [] }, ...(route.apiKeyScope ? [{ apiKey: [] }] : [])] : [],
    parameters: [
      ...parameters(schemas, route.params, 'path'),
      ...parameters(schemas, route.query, 'query'),
      ...(route.workspaceScoped ? [{ $ref: '#/components/parameters/Workspace' }] : []),
    ],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.ref(route.body, 'input') } } } }
      : {}),
    ...(route.upload
      ? { requestBody: { required: true, content: { [route.upload.contentType]: { schema: { type: 'string', contentMediaType: route.upload.contentType } } } } }
      : {}),
    responses: responses(schemas, route),
  };
}

function components(schemas: SchemaSet): Json {
  const errorBody = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } };
  return {
    schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
    responses: Object.fromEntries(
      Object.values(ERROR_RESPONSES).map(({ name, description }) => [name, { description, content: errorBody }]),
    ),
    parameters: {
      Workspace: {
        name: 'X-Citus-Workspace',
        in: 'header',
        required: false,
        description: "The workspace to act in, by slug; without it, the caller's default workspace.",
        schema: schemas.inline(WorkspaceSlug, 'input'),
      },
    },
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'An access token from `POST /api/v1/auth/token` (embedded identity provider) or from Auth0.',
      },
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Api-Key',
        description:
          "A workspace's API key (`POST /api/v1/api-keys`), for scripts and apps: only on operations that name the scope " +
          'it needs (`x-citus-api-key-scope`), acting as a user of its workspace. Never in the query string.',
      },
    },
  };
}

/** The OpenAPI 3.1 document of the REST API, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(info: Partial<ApiInfo> = {}): OpenApiDocument {
  const schemas = new SchemaSet(API_SCHEMAS, API_ROUTES);
  const paths: Record<string, Json> = {};
  for (const route of API_ROUTES) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`two routes for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(schemas, route);
  }
  return {
    openapi: '3.1.0',
    info: { ...DEFAULT_INFO, ...info },
    servers: [{ url: '/' }],
    tags: TAGS,
    paths,
    components: components(schemas),
  };
}
