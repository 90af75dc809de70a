import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_ROUTES, RELEASE_ARTIFACT_MAX_MB } from '../src/index.js';
import { buildKongConfig, kongPathOf, renderKongYaml, SERVICE_OF_TAG, type KongConfig, type KongRoute } from '../src/kong-gateway.js';
import { ANONYMOUS_CONSUMER, OPERATION_RATE_LIMITS, PORTAL_ORIGIN_PLACEHOLDER } from '../src/kong-plugins.js';

// Kong cannot run here (no image registry): these checks stand in for `kong config parse`, which
// has never been run on this file. Regexes are compiled by JavaScript, not by Kong's PCRE or Rust regex.
const KONG_YML = join(import.meta.dirname, '../../../kong/kong.yml');
const committed = readFileSync(KONG_YML, 'utf8');
const parsed = parse(committed) as KongConfig;
const routes = parsed.services.flatMap((service) => service.routes.map((route) => ({ service: service.name, route })));

type Json = Record<string, unknown>;

/** Every object in a parsed document, each with where it was found. */
function objectsOf(value: unknown, at = ''): Array<{ at: string; object: Json }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => objectsOf(item, `${at}/${index}`));
  if (!value || typeof value !== 'object') return [];
  return [{ at, object: value as Json }, ...Object.entries(value).flatMap(([key, item]) => objectsOf(item, `${at}/${key}`))];
}

/** Kong anchors a `~` path at the start of the request path (and these end in `$`); other paths are prefixes. */
const pathMatches = (kongPath: string, path: string): boolean =>
  kongPath.startsWith('~') ? new RegExp(`^${kongPath.slice(1)}`).test(path) : path.startsWith(kongPath);

/** The routes of the committed file that a request would match. */
const matching = (method: string, path: string): string[] =>
  routes.filter(({ route }) => route.methods.includes(method) && route.paths.some((kongPath) => pathMatches(kongPath, path))).map(({ route }) => route.name);

/** `/api/v1/devices/{id}` -> `/api/v1/devices/sample-id`. */
const samplePath = (openApiPath: string): string => openApiPath.replace(/\{([^}]+)\}/g, 'sample-$1');

const pluginsOf = (route: KongRoute): string[] => (route.plugins ?? []).map((plugin) => plugin.name);

describe('kong/kong.yml', () => {
  it('is what the route table generates, byte for byte (run npm run kong:generate after changing the table)', () => {
    expect(committed).toBe(renderKongYaml());
    expect(renderKongYaml()).toBe(renderKongYaml(buildKongConfig()));
  });

  it('is Kong 3 declarative config whose services each have an http URL and routes', () => {
    expect(parsed._format_version).toBe('3.0');
    for (const service of parsed.services) {
      expect([service.name, new URL(service.url).protocol]).toEqual([service.name, 'http:']);
      expect([service.name, service.routes.length > 0]).toEqual([service.name, true]);
    }
  });

  it('has one route per operation of the table, with its exact method and path, on the service of its tag', () => {
    for (const apiRoute of API_ROUTES) {
      const found = routes.find(({ route }) => route.name === apiRoute.operationId);
      expect([apiRoute.operationId, found?.service]).toEqual([apiRoute.operationId, SERVICE_OF_TAG[apiRoute.tag]]);
      expect(found?.route.methods).toEqual([apiRoute.method.toUpperCase()]);
      expect(found?.route.paths).toEqual([kongPathOf(apiRoute.path)]);
      expect(found?.route.strip_path).toBe(false);
    }
    const names = routes.map(({ route }) => route.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('sends each operation of the table, and nothing else, to its own route', () => {
    for (const apiRoute of API_ROUTES) {
      expect([apiRoute.operationId, matching(apiRoute.method.toUpperCase(), samplePath(apiRoute.path))]).toEqual([
        apiRoute.operationId,
        [apiRoute.operationId],
      ]);
    }
    expect(matching('GET', '/api/v1/devices/one/extra')).toEqual([]);
    expect(matching('GET', '/api/v1/devicesx')).toEqual([]);
  });

  it('also routes the web UI, the app proxy, MQTT over WebSocket and CORS preflights', () => {
    expect(matching('GET', '/')).toEqual(['webUi']);
    expect(matching('GET', '/app.js')).toEqual(['webUi']);
    expect(matching('GET', '/style.css')).toEqual(['webUi']);
    expect(matching('POST', '/apps/default/dashboard/api/upload')).toEqual(['appProxy']);
    expect(matching('GET', '/apps/default/dashboard')).toEqual(['appProxy']);
    expect(matching('GET', '/apps/default/dashboard/')).toEqual(['appProxy']);
    expect(matching('GET', '/mqtt')).toEqual(['mqttWebSocket']);
    expect(matching('OPTIONS', '/api/v1/devices/sample')).toEqual(['corsPreflight']);
    expect(matching('GET', '/.well-known/jwks.json')).toEqual(['getJwks']);
    const mqtt = routes.find(({ route }) => route.name === 'mqttWebSocket');
    const mqttService = parsed.services.find((service) => service.name === mqtt?.service);
    expect(mqttService?.read_timeout).toBeGreaterThan(1_200_000);
  });

  it('sends each request to the container that runs its service: portal, app-registry, device-lifecycle, indexer, analytics or the hub', () => {
    const upstreamOf = (method: string, path: string): string[] => {
      const names = matching(method, path);
      return parsed.services.filter((service) => service.routes.some((route) => names.includes(route.name))).map((service) => service.url);
    };
    const portal = ['http://portal:8080'];
    const apps = ['http://app-registry:8080'];
    const plane = ['http://platform:8080'];
    const registry = ['http://device-lifecycle:8080'];
    const indexer = ['http://indexer:8080'];
    const analytics = ['http://analytics:8080'];
    // The web UI and the signing keys live in the portal process, beside the identity store.
    expect(upstreamOf('GET', '/')).toEqual(portal);
    expect(upstreamOf('GET', '/app.js')).toEqual(portal);
    expect(upstreamOf('GET', '/.well-known/jwks.json')).toEqual(portal);
    expect(upstreamOf('POST', '/api/v1/auth/token')).toEqual(portal);
    expect(upstreamOf('POST', '/api/v1/api-keys')).toEqual(portal);
    expect(upstreamOf('GET', '/apps/default/dashboard/')).toEqual(apps);
    expect(upstreamOf('POST', '/hooks/apps/hook/secret')).toEqual(apps);
    expect(upstreamOf('GET', '/api/v1/marketplace')).toEqual(apps);
    expect(upstreamOf('GET', '/api/v1/deployments')).toEqual(apps);
    // The hub's WebSocket, and the AsyncAPI document that names the hub's MQTT port, on the device plane.
    expect(upstreamOf('GET', '/mqtt')).toEqual(plane);
    expect(upstreamOf('GET', '/api/v1/asyncapi.json')).toEqual(plane);
    expect(upstreamOf('GET', '/api/v1/openapi.json')).toEqual(plane);
    expect(upstreamOf('GET', '/healthz')).toEqual(plane);
    // Devices (declare, activate, revoke, delete) in the registry's container, which holds the device CA.
    expect(upstreamOf('POST', '/api/v1/devices')).toEqual(registry);
    expect(upstreamOf('POST', '/api/v1/devices/sample/revoke')).toEqual(registry);
    expect(upstreamOf('GET', '/api/v1/devices/sample')).toEqual(registry);
    expect(upstreamOf('GET', '/api/v1/things/sample/shadow')).toEqual(plane);
    expect(upstreamOf('GET', '/api/v1/search')).toEqual(indexer);
    // Anomalies, alert rules, secrets and analysers: the tags `analytics` and `alerts`, one process.
    expect(upstreamOf('GET', '/api/v1/anomalies/settings')).toEqual(analytics);
    expect(upstreamOf('GET', '/api/v1/alert-rules')).toEqual(analytics);
    expect(upstreamOf('GET', '/api/v1/secrets')).toEqual(analytics);
    expect(upstreamOf('GET', '/api/v1/analysers')).toEqual(analytics);
    // Only these six hosts: the internal API (/internal/v1) is never routed.
    expect(new Set(parsed.services.map((service) => service.url))).toEqual(new Set([...portal, ...apps, ...plane, ...registry, ...indexer, ...analytics]));
    expect(matching('POST', '/internal/v1/access')).toEqual([]);
  });

  it('names methods on every route, and every path is a regex that compiles or a plain prefix', () => {
    for (const { route } of routes) {
      expect([route.name, route.methods.length > 0 && route.paths.length > 0]).toEqual([route.name, true]);
      for (const path of route.paths) {
        expect(path.startsWith('~/') || path.startsWith('/')).toBe(true);
        if (path.startsWith('~')) expect(() => new RegExp(`^${path.slice(1)}`)).not.toThrow();
      }
    }
  });

  it('asks for the API key, in the X-Api-Key header only, exactly where the table lets a key call', () => {
    for (const apiRoute of API_ROUTES) {
      const route = routes.find(({ route }) => route.name === apiRoute.operationId)?.route as KongRoute;
      expect([apiRoute.operationId, pluginsOf(route).includes('key-auth')]).toEqual([apiRoute.operationId, apiRoute.apiKeyScope !== undefined]);
    }
    const keyAuths = objectsOf(parsed).filter(({ object }) => object.name === 'key-auth');
    expect(keyAuths.length).toBe(API_ROUTES.filter((route) => route.apiKeyScope).length);
    for (const { object } of keyAuths) {
      expect(object.config).toMatchObject({
        key_names: ['X-Api-Key'],
        key_in_header: true,
        key_in_query: false,
        key_in_body: false,
        hide_credentials: false,
        anonymous: ANONYMOUS_CONSUMER,
      });
    }
    expect(objectsOf(parsed).filter(({ object }) => object.key_in_query === true || object.key_in_body === true)).toEqual([]);
  });

  it('holds no credential: one consumer, the anonymous one, with no keys', () => {
    expect(parsed.consumers).toEqual([{ username: ANONYMOUS_CONSUMER }]);
    expect(committed).not.toMatch(/keyauth_credentials|basicauth_credentials|jwt_secrets|^\s*key:/m);
    // The one value left for the environment to fill in.
    expect(new Set([...committed.matchAll(/\$\{[^}]*\}/g)].map((match) => match[0]))).toEqual(new Set([PORTAL_ORIGIN_PLACEHOLDER]));
  });

  it('limits rates per client address, stricter on sign-in, and body sizes, larger only for the app proxy and upload routes', () => {
    const global = Object.fromEntries(parsed.plugins.map((plugin) => [plugin.name, plugin.config]));
    expect(Object.keys(global).sort()).toEqual(['cors', 'rate-limiting', 'request-size-limiting']);
    expect(global['rate-limiting']).toMatchObject({ limit_by: 'ip', policy: 'local' });
    expect(global['request-size-limiting']).toMatchObject({ allowed_payload_size: 1, size_unit: 'megabytes' });
    expect(global.cors).toMatchObject({ origins: [PORTAL_ORIGIN_PLACEHOLDER], credentials: false });

    const tokenRoute = routes.find(({ route }) => route.name === 'issueToken')?.route as KongRoute;
    const tokenLimits = tokenRoute.plugins?.find((plugin) => plugin.name === 'rate-limiting')?.config as { minute: number };
    expect(tokenLimits.minute).toBeLessThan((global['rate-limiting'] as { minute: number }).minute);
    for (const operationId of Object.keys(OPERATION_RATE_LIMITS)) {
      expect([operationId, API_ROUTES.some((route) => route.operationId === operationId)]).toEqual([operationId, true]);
    }
    const sizeLimited = routes.filter(({ route }) => pluginsOf(route).includes('request-size-limiting')).map(({ route }) => route.name);
    expect(sizeLimited.sort()).toEqual(['appProxy', 'uploadReleaseArtifact']);
    const upload = routes.find(({ route }) => route.name === 'uploadReleaseArtifact')?.route as KongRoute;
    expect(upload.plugins?.find((plugin) => plugin.name === 'request-size-limiting')?.config).toMatchObject({ allowed_payload_size: RELEASE_ARTIFACT_MAX_MB, size_unit: 'megabytes' });
  });

  it('passes event streams through unbuffered', () => {
    for (const apiRoute of API_ROUTES) {
      const stream = Object.values(apiRoute.responses).some((response) => response?.contentType === 'text/event-stream');
      const route = routes.find(({ route }) => route.name === apiRoute.operationId)?.route as KongRoute;
      expect([apiRoute.operationId, route.response_buffering === false]).toEqual([apiRoute.operationId, stream]);
    }
  });

  it('refuses a tag that no platform service serves', () => {
    const [first] = API_ROUTES;
    expect(() => buildKongConfig([{ ...first!, tag: 'nowhere' }])).toThrow(/SERVICE_OF_TAG/);
  });
});
