import { API_ROUTES, type ErrorEnvelope, toOpenApiPath } from '@citus/contracts';
import { useDynamoDbLocal } from '../../../packages/dynamodb/test/support/dynamodb-local.fixture.js';
// Not in the package's index: the gateway config is built by a CLI, not by a service.
import { buildKongConfig } from '../../../packages/contracts/src/kong-gateway.js';
import { ServiceProcesses, type StartedProcess } from './support/service-processes.js';
import { ADMIN_PASSWORD } from './support/test-platform.js';

// On DynamoDB Local: the registry, the indexer and analytics run apart from the hub only on the
// scale-out stores, as they do in compose and Kubernetes.
const dynamo = useDynamoDbLocal();
const TOKEN = 'kong-upstream-test-token-0123456789abcdef';

/** The compose containers Kong's services name (KONG_UPSTREAMS), each with what its CITUS_SERVICES runs. */
const CONTAINERS = {
  portal: 'portal',
  'device-lifecycle': 'device-lifecycle',
  platform: 'iot-hub',
  indexer: 'indexer',
  analytics: 'analytics',
  'app-registry': 'app-registry',
} as const;
type Container = keyof typeof CONTAINERS;

type Started = StartedProcess;

const processes = new ServiceProcesses();
const started = new Map<Container, Started>();

async function start(container: Container, env: Record<string, string>): Promise<Started> {
  const one = await processes.start({ CITUS_SERVICES: CONTAINERS[container], ...env });
  started.set(container, one);
  return one;
}

/** `http://portal:8080` -> `portal`: the compose service, which is the container. */
function containerOf(url: string): Container {
  const host = new URL(url).hostname;
  if (!(host in CONTAINERS)) throw new Error(`Kong sends requests to ${url}, which no container of the split answers`);
  return host as Container;
}

const ofProcess = (container: Container): Started => {
  const one = started.get(container);
  if (!one) throw new Error(`${container} did not start`);
  return one;
};

const isNoSuchRoute = async (response: Response): Promise<boolean> =>
  response.status === 404 && ((await response.json().catch(() => ({}))) as Partial<ErrorEnvelope>).error?.message === 'no such route';

// kong/kong.yml is generated from the route table and KONG_UPSTREAMS; this checks the processes
// behind those upstreams serve what Kong sends them.
describe('Kong upstreams against the split processes', () => {
  const kong = buildKongConfig();

  beforeAll(async () => {
    const portal = await start('portal', { CITUS_SERVICE_TOKEN: TOKEN, CITUS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const remote = { CITUS_PORTAL_URL: portal.baseUrl, CITUS_SERVICE_TOKEN: TOKEN };
    const stores = {
      ...remote,
      CITUS_TELEMETRY_STORE: 'dynamodb',
      CITUS_REGISTRY_STORE: 'dynamodb',
      AWS_REGION: 'eu-west-1',
      CITUS_DYNAMODB_ENDPOINT: dynamo.endpoint(),
      CITUS_DYNAMODB_TABLE_PREFIX: dynamo.nextPrefix('kong'),
    };
    // The registry first (the registry table, the device CA), then the hub, which asks it to sign its
    // server certificate and makes the telemetry tables the indexer and analytics follow. The
    // registry asks the hub only for a device's connectivity, which these checks do not.
    const registry = await start('device-lifecycle', { ...stores, CITUS_DEVICE_PLANE_URL: 'http://127.0.0.1:1' });
    const platform = await start('platform', { ...stores, CITUS_DEVICE_REGISTRY_URL: registry.baseUrl });
    await start('indexer', stores);
    await start('analytics', { ...stores, CITUS_DEVICE_PLANE_URL: platform.baseUrl });
    await start('app-registry', { ...remote, DOCKER_HOST: 'unix:///nonexistent.sock' });
  });

  afterAll(() => processes.stopAll());

  it('sends every operation of the route table to a process that serves it', () => {
    const served = new Map([...started].map(([container, one]) => [container, one.process.routes().map((route) => `${route.method} ${toOpenApiPath(route.path)}`)]));
    const misrouted = API_ROUTES.flatMap((route) => {
      const service = kong.services.find((candidate) => candidate.routes.some((kongRoute) => kongRoute.name === route.operationId));
      const operation = `${route.method.toUpperCase()} ${route.path}`;
      if (!service) return [`${operation}: no Kong route`];
      return served.get(containerOf(service.url))?.includes(operation) ? [] : [`${operation} -> ${service.url}`];
    });
    expect(misrouted).toEqual([]);
  });

  it('sends the web UI to the portal, the app proxy to the app registry and MQTT over WebSocket to the device plane', async () => {
    const upstreamOf = (routeName: string): Started => {
      const service = kong.services.find((candidate) => candidate.routes.some((route) => route.name === routeName));
      if (!service) throw new Error(`no Kong route ${routeName}`);
      return ofProcess(containerOf(service.url));
    };
    const webUi = await fetch(`${upstreamOf('webUi').baseUrl}/`);
    expect([webUi.status, webUi.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);
    expect(await isNoSuchRoute(await fetch(`${upstreamOf('appProxy').baseUrl}/apps/default/dashboard/`))).toBe(false);
    expect(await isNoSuchRoute(await fetch(`${ofProcess('portal').baseUrl}/apps/default/dashboard/`))).toBe(true);
    expect(upstreamOf('mqttWebSocket').process.mqttPort).toEqual(expect.any(Number));
  });

  it('runs devices only in the registry, search only in the indexer and anomalies only in analytics: the hub process answers none', async () => {
    expect(await isNoSuchRoute(await fetch(`${ofProcess('platform').baseUrl}/api/v1/devices`))).toBe(true);
    expect(await isNoSuchRoute(await fetch(`${ofProcess('platform').baseUrl}/api/v1/search?q=x`))).toBe(true);
    expect(await isNoSuchRoute(await fetch(`${ofProcess('platform').baseUrl}/api/v1/anomalies/settings`))).toBe(true);
    // Without a token: 401, which says the route exists there.
    expect((await fetch(`${ofProcess('device-lifecycle').baseUrl}/api/v1/devices`)).status).toBe(401);
    expect((await fetch(`${ofProcess('indexer').baseUrl}/api/v1/search?q=x`)).status).toBe(401);
    expect((await fetch(`${ofProcess('analytics').baseUrl}/api/v1/anomalies/settings`)).status).toBe(401);
  });
});
