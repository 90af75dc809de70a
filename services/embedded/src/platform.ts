import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { buildAsyncApiDocument, buildOpenApiDocument, INTERNAL_API_PREFIX } from '@citus/contracts';
import { AnalyticsConfig, createService as createAnalytics, type AnalyticsModule } from '@citus/analytics';
import { AppRegistryConfig, createService as createAppRegistry, type AppRegistryService } from '@citus/app-registry';
import { createService as createDeviceLifecycle, DeviceLifecycleConfig, openStreamedDirectory, remoteConnectivity, type DeviceLifecycleService } from '@citus/device-lifecycle';
import { createService as createIndexer, IndexerConfig, type IndexerModule } from '@citus/indexer';
import { createService as createIotHub, IotHubConfig, remoteCertificateAuthority, remoteDeviceAttributes, remoteReleaseLinks, remoteThingRegistrar, type AnomalyCounts, type AppEndpoints, type IotHubService, type ReleaseLinks } from '@citus/iot-hub';
import {
  AppError,
  type BearerResolver,
  ConfigError,
  createHttpApp,
  createLogger,
  EventBus,
  finishHttpApp,
  HealthRegistry,
  Metrics,
  parseConfig,
  remotePortal,
  requireServiceToken,
  serveMetrics,
  Shutdown,
  type Logger,
  type Service,
  type ServiceContext,
} from '@citus/kit';
import { EmbeddedCertificateAuthority } from '@citus/pki';
import { createService as createPortal, PortalConfig } from '@citus/portal';
import { lockDataDir, refuseInterruptedRestore } from '@citus/sqlite';
import { EmbeddedConfig, type ServiceName } from './config.js';

/** One process of the platform: the services `CITUS_SERVICES` names, behind one HTTP listener. */
export interface ServiceProcess {
  httpPort: number;
  dataDir: string;
  /** What this process runs. */
  services: ServiceName[];
  /** The hub's MQTT over TLS port, when this process runs the device plane. */
  mqttPort?: number;
  /** The device CA's certificate, when this process runs the device plane. */
  caPem?: string;
  /** Where Prometheus scrapes `GET /metrics`; none unless `METRICS_PORT` is set. */
  metricsPort?: number;
  logger: Logger;
  shutdown: Shutdown;
  stop(): Promise<void>;
  /** Every route the HTTP server serves, in express's path form; for the API drift test. */
  routes(): HttpRoute[];
}

/** A process that runs the device plane (the embedded default runs everything). */
export interface Platform extends ServiceProcess {
  mqttPort: number;
  caPem: string;
}

export interface HttpRoute {
  method: string;
  path: string;
}

/** Every service's config, parsed once; all problems are reported together. */
export function loadConfig(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const parse = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const config = {
    embedded: parse(() => parseConfig(EmbeddedConfig, env)),
    portal: parse(() => parseConfig(PortalConfig, env)),
    devices: parse(() => parseConfig(DeviceLifecycleConfig, env)),
    hub: parse(() => parseConfig(IotHubConfig, env)),
    indexer: parse(() => parseConfig(IndexerConfig, env)),
    apps: parse(() => parseConfig(AppRegistryConfig, env)),
    analytics: parse(() => parseConfig(AnalyticsConfig, env)),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  const parsed = config as { [K in keyof typeof config]: NonNullable<(typeof config)[K]> };
  const apart = apartProblems(parsed);
  if (apart.length > 0) throw new ConfigError(apart);
  return parsed;
}

interface StoreChoices {
  embedded: EmbeddedConfig;
  devices: { CITUS_REGISTRY_STORE: string };
  indexer: { CITUS_TELEMETRY_STORE: string; CITUS_REGISTRY_STORE: string };
  analytics: { CITUS_TELEMETRY_STORE: string };
}

/**
 * Services apart from the ones they ask: only on the scale-out stores, which every process reaches
 * and which have streams to follow (a SQLite file is one process's), and only with the URL of the
 * process to ask.
 */
function apartProblems(config: StoreChoices): string[] {
  const runs = new Set(config.embedded.CITUS_SERVICES);
  const { CITUS_DEVICE_PLANE_URL: hubUrl, CITUS_DEVICE_REGISTRY_URL: registryUrl } = config.embedded;
  const registryOnDynamo = config.devices.CITUS_REGISTRY_STORE === 'dynamodb';
  const problems: string[] = [];
  const split = (a: ServiceName, b: ServiceName) => runs.has(a) && !runs.has(b);
  if (split('iot-hub', 'device-lifecycle')) {
    if (!registryOnDynamo) problems.push('CITUS_SERVICES: iot-hub runs apart from device-lifecycle only with CITUS_REGISTRY_STORE=dynamodb (it follows the registry table\'s stream)');
    if (registryUrl === undefined) problems.push('CITUS_DEVICE_REGISTRY_URL: required when iot-hub runs apart from device-lifecycle (the device CA signs there)');
  }
  if (split('device-lifecycle', 'iot-hub')) {
    if (!registryOnDynamo) problems.push('CITUS_SERVICES: device-lifecycle runs apart from iot-hub only with CITUS_REGISTRY_STORE=dynamodb (the hub follows its stream)');
    if (hubUrl === undefined) problems.push('CITUS_DEVICE_PLANE_URL: required when device-lifecycle runs apart from iot-hub (devices\' connectivity is asked there)');
  }
  // Apart from the hub it follows the telemetry stream, apart from the registry the registry's
  // (and the launcher gives it the registry stream whenever device-lifecycle is elsewhere).
  if (split('indexer', 'iot-hub') && config.indexer.CITUS_TELEMETRY_STORE !== 'dynamodb') {
    problems.push('CITUS_SERVICES: the indexer runs apart from iot-hub only with CITUS_TELEMETRY_STORE=dynamodb (it follows the telemetry stream)');
  }
  if (split('indexer', 'device-lifecycle') && (config.indexer.CITUS_TELEMETRY_STORE !== 'dynamodb' || config.indexer.CITUS_REGISTRY_STORE !== 'dynamodb')) {
    problems.push('CITUS_SERVICES: the indexer runs apart from device-lifecycle only with CITUS_TELEMETRY_STORE=dynamodb and CITUS_REGISTRY_STORE=dynamodb (it follows their streams)');
  }
  if (split('analytics', 'iot-hub')) {
    if (config.analytics.CITUS_TELEMETRY_STORE !== 'dynamodb') {
      problems.push('CITUS_SERVICES: analytics runs apart from iot-hub only with CITUS_TELEMETRY_STORE=dynamodb (it follows its stream)');
    }
    if (hubUrl === undefined) problems.push('CITUS_DEVICE_PLANE_URL: required when analytics runs apart from iot-hub (it asks that process whose a thing is)');
  }
  return problems;
}

/**
 * The services `CITUS_SERVICES` names (by default all: the embedded mode) mounted in this process,
 * one HTTP server for all their routes, the built-in hub on its TLS port when it runs here, data
 * under one directory. Without the portal, people and API keys are resolved by the portal process
 * at `CITUS_PORTAL_URL`.
 */
export async function startServices(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<ServiceProcess> {
  const config = loadConfig(env);
  const log = logger ?? createLogger({ level: config.embedded.LOG_LEVEL });
  const dataDir = resolve(config.embedded.CITUS_DATA_DIR);
  // Before the dir is made: a fresh one here would get a new CA while the restored one waits aside.
  refuseInterruptedRestore(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // One platform per data dir, and none while `citus restore` replaces it: held until the stores close.
  const lock = lockDataDir(dataDir);
  const base = {
    logger: log,
    events: new EventBus(log),
    health: new HealthRegistry(),
    shutdown: new Shutdown(log),
    dataDir,
  };
  base.shutdown.add('data dir lock', () => lock.release());
  try {
    return await launch(base, config);
  } catch (error) {
    // Whatever was opened before the failure (stores, listeners) is closed again.
    await base.shutdown.run('start failed').catch(() => undefined);
    throw error;
  }
}

/** Every service in one process, or at least the device plane: what the tests and benchmarks drive. */
export async function startPlatform(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<Platform> {
  const started = await startServices(env, logger);
  if (started.mqttPort === undefined || started.caPem === undefined) {
    await started.stop();
    throw new Error('startPlatform needs the device plane: CITUS_SERVICES must name iot-hub and the services that go with it');
  }
  return { ...started, mqttPort: started.mqttPort, caPem: started.caPem };
}

type Base = Omit<ServiceContext, 'authenticate'>;

/**
 * The MQTT port devices are told (activation answers, the AsyncAPI document): the advertised one
 * when set, else the hub's listener here, else the port the hub's config names (a process without
 * the hub reads the same MQTT_TLS_PORT as the hub's process; 0, a free port, cannot be told).
 */
function advertisedMqttPort(config: Config, hub: IotHubService | undefined): number {
  const configured = config.hub.MQTT_TLS_PORT === 0 ? DEFAULT_MQTT_PORT : config.hub.MQTT_TLS_PORT;
  return config.embedded.CITUS_MQTT_ADVERTISED_PORT ?? hub?.mqttPort() ?? configured;
}

/** The hub's default port, told when nothing else says which. */
const DEFAULT_MQTT_PORT = 8883;

type Config = ReturnType<typeof loadConfig>;

interface DevicePlane {
  services: Service[];
  hub?: IotHubService;
  /** The device CA's certificate: the CA's own here, or the registry process's when the hub runs apart from it. */
  caPem?: string;
  indexer?: IndexerModule;
  analytics?: AnalyticsModule;
}

interface PlaneLinks {
  resolveBearer: BearerResolver;
  /** Deployments of the app registry in this process, for topic rules' app actions. */
  apps: AppEndpoints;
  /** The service token; the config made sure of it whenever a part runs elsewhere. */
  serviceToken: string | undefined;
}

/** How long the hub waits at start for the registry's process (its CA) when they start together. */
const REGISTRY_WAIT_MS = 60_000;

/**
 * The device plane's parts that `CITUS_SERVICES` puts here: the registry (device-lifecycle, with the
 * device CA in the data dir), the hub, the indexer and analytics. In one process they call each
 * other directly; a part that runs elsewhere is asked over its process's internal API, and the
 * registry's answers the hub needs at every connect come from the registry table's stream
 * (`openStreamedDirectory`) when the registry runs elsewhere. `loadConfig` has checked the stores
 * and URLs each split needs.
 */
async function launchDevicePlane(ctx: ServiceContext, config: Config, runs: Set<ServiceName>, links: PlaneLinks, metrics: Metrics): Promise<DevicePlane> {
  const token = links.serviceToken as string;
  const hubLink = () => ({ url: config.embedded.CITUS_DEVICE_PLANE_URL as string, serviceToken: token });
  const registryLink = () => ({ url: config.embedded.CITUS_DEVICE_REGISTRY_URL as string, serviceToken: token });
  const ownCa = runs.has('device-lifecycle') ? await EmbeddedCertificateAuthority.loadOrCreate(join(ctx.dataDir, 'ca')) : undefined;
  let hub: IotHubService | undefined;
  const devices = ownCa
    ? createDeviceLifecycle({
        ...ctx,
        config: config.devices,
        ca: ownCa,
        mqttPort: () => advertisedMqttPort(config, hub),
        connectivity: runs.has('iot-hub')
          ? { connectivityOf: (thingName) => (hub as IotHubService).presence.connectivityOf(thingName) }
          : remoteConnectivity(hubLink()),
        hubHostnames: config.hub.CITUS_HUB_HOSTNAMES,
      })
    : undefined;
  // What the hub and analytics ask of the registry: its own service here, else a directory that
  // follows the table. Analytics without the hub asks the hub's process instead, but it still
  // follows the table when it can, for the thing.deleted its series are forgotten on.
  const followsRegistry =
    !devices && (runs.has('iot-hub') || (runs.has('analytics') && config.devices.CITUS_REGISTRY_STORE === 'dynamodb'));
  const streamed = followsRegistry ? openStreamedDirectory({ config: config.devices, events: ctx.events, logger: ctx.logger }) : undefined;
  const directory = devices?.devices ?? streamed;
  const following: Service | undefined = streamed && {
    name: 'registry-directory',
    async start() {
      await streamed.start();
      ctx.shutdown.add('registry directory', () => streamed.stop());
    },
  };
  const ca = ownCa ?? (runs.has('iot-hub') ? await remoteCertificateAuthority({ ...registryLink(), waitMs: REGISTRY_WAIT_MS }) : undefined);
  // Made before the hub, which reads its lag; started after it (the `mounted` order), since it reads the tables the hub creates.
  const indexer = runs.has('indexer')
    ? createIndexer({ ...ctx, config: config.indexer, ...(devices ? {} : { deviceSource: 'registry-stream' as const }) })
    : undefined;
  const analyticsHere: { module?: AnalyticsModule } = {};
  if (runs.has('iot-hub') && ca && directory) {
    const registrar = devices?.provisioning;
    hub = createIotHub({
      ...ctx,
      config: config.hub,
      ca,
      certificates: {
        activeCertificate: (id) => directory.activeCertificate(id),
        claimCertificate: (id) => (hub as IotHubService).provisioning.claimCertificate(id),
      },
      things: { workspaceOfThing: (thingName) => directory.workspaceOfThing(thingName), thingsOf: (workspaceId) => directory.thingsOf(workspaceId) },
      registrar: registrar ? { registerThing: (thing) => registrar.register(thing) } : remoteThingRegistrar(registryLink()),
      resolveBearer: links.resolveBearer,
      apps: links.apps,
      releaseLinks: devices ? releaseLinksOf(devices) : remoteReleaseLinks(registryLink()),
      // Devices' metadata for dynamic groups' attributes.*: the registry's store, read per evaluation.
      deviceAttributes: devices ? devices.devices : remoteDeviceAttributes(registryLink()),
      // Analytics beside the hub is made after it: rollouts ask it once it is there.
      ...(runs.has('analytics') ? { anomalies: anomaliesOf(analyticsHere) } : {}),
      // An indexer elsewhere follows the stream at its own pace: the hub cannot see its lag.
      downstreamLag: () => indexer?.indexer.lagMs() ?? 0,
      metrics,
    });
  }
  // After the hub too, for the same reason: it follows the same change feed, as its own consumer.
  const analytics = runs.has('analytics') ? createAnalyticsPart(ctx, config, hub, directory, hubLink) : undefined;
  analyticsHere.module = analytics;
  const mounted: Array<Service | undefined> = [devices, following, hub, indexer, analytics];
  return {
    services: mounted.filter((service): service is Service => service !== undefined),
    ...(hub ? { hub } : {}),
    ...(ca ? { caPem: ca.certificatePem } : {}),
    ...(indexer ? { indexer } : {}),
    ...(analytics ? { analytics } : {}),
  };
}

/**
 * The analytics service beside the hub, for rollouts' anomaly-rate gates. It is made after the hub
 * (which rollouts only ask once started, by when it is there); asked before, it says so.
 */
function anomaliesOf(here: { module?: AnalyticsModule }): AnomalyCounts {
  const analytics = (): AnalyticsModule => {
    if (!here.module) throw new Error('the analytics service is not running yet');
    return here.module;
  };
  return {
    count: (workspaceId, thingName, range) => analytics().anomalies.count(workspaceId, thingName, range),
    lagMs: () => analytics().lagMs(),
  };
}

/** The registry's release service as the hub's source of download links for job documents. */
function releaseLinksOf(devices: DeviceLifecycleService): ReleaseLinks {
  return {
    linkFor: async (workspaceId, releaseId, thingName, expiresInSec) =>
      (await devices.releases.createDownloadLink(workspaceId, releaseId, { thingName, expiresInSec })).path,
  };
}

/** Analytics beside the hub (its shadows and ingest directly), or apart from it (over the hub's internal API). */
function createAnalyticsPart(
  ctx: ServiceContext,
  config: Config,
  hub: IotHubService | undefined,
  directory: { workspaceOfThing(thingName: string): string | undefined } | undefined,
  hubLink: () => { url: string; serviceToken: string },
): AnalyticsModule {
  if (hub && directory) {
    return createAnalytics({
      ...ctx,
      config: config.analytics,
      things: { workspaceOfThing: (thingName) => directory.workspaceOfThing(thingName) },
      alerting: { shadows: hub.shadows, ingest: hub.ingest },
    });
  }
  return createAnalytics({ ...ctx, config: config.analytics, devicePlane: hubLink() });
}

/**
 * Where topic rules' app actions find a workspace's deployment of an app: a replica where the app
 * proxy reaches it (see `ContainerRuntime.endpoints`), under its route prefix.
 */
function deploymentEndpoints(registry: () => AppRegistryService | undefined): AppEndpoints {
  return {
    async urlOf(workspaceId, app) {
      const apps = registry();
      if (!apps) return { error: 'the app registry runs in another process: app actions reach apps deployed beside the hub only', retryable: false };
      try {
        const route = await apps.deployments.route(workspaceId, app);
        return { url: `http://${route.endpoint.host}:${route.endpoint.port}${route.routePrefix}` };
      } catch (error) {
        if (error instanceof AppError && error.code === 'not_found') return { error: 'no deployment of it in this workspace', retryable: false };
        // No replica runs (yet), or the engine cannot say where: worth another try, as is a failing store.
        if (error instanceof AppError && error.code === 'unavailable') return { error: error.message };
        return { error: `the app registry failed: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

/** How far each consumer of the telemetry change feed in this process trails the store. */
function feedLagGauge(metrics: Metrics, consumers: { indexer?: { indexer: { lagMs(): number } }; analytics?: { lagMs(): number } }): void {
  metrics.gaugeOf('citus_change_feed_lag_seconds', 'How far each consumer of the telemetry change feed trails the store', ['consumer'], () => [
    ...(consumers.indexer ? [[{ consumer: 'indexer' }, consumers.indexer.indexer.lagMs() / 1000] as const] : []),
    ...(consumers.analytics ? [[{ consumer: 'analytics' }, consumers.analytics.lagMs() / 1000] as const] : []),
  ]);
}

async function launch(base: Base, config: Config): Promise<ServiceProcess> {
  const { logger: log } = base;
  const runs = new Set<ServiceName>(config.embedded.CITUS_SERVICES);
  const setHttpReady = base.health.register('http');
  const metrics = new Metrics();
  const token = config.embedded.CITUS_SERVICE_TOKEN;
  const portal = runs.has('portal') ? await createPortal({ ...base, config: config.portal }) : undefined;
  // Without the portal here, its process answers for people and keys (the config made sure of both settings).
  const access =
    portal ??
    remotePortal({ url: config.embedded.CITUS_PORTAL_URL as string, serviceToken: token as string, cacheSeconds: config.embedded.CITUS_ACCESS_CACHE_SECONDS });
  const ctx = { ...base, authenticate: access.authenticate };
  // Made after the hub, whose rules' app actions reach its deployments once it is there.
  const registry: { apps?: AppRegistryService } = {};
  const plane = await launchDevicePlane(ctx, config, runs, { resolveBearer: access.resolveBearer, serviceToken: token, apps: deploymentEndpoints(() => registry.apps) }, metrics);
  feedLagGauge(metrics, plane);
  const apps = runs.has('app-registry') ? createAppRegistry({ ...ctx, config: config.apps, appKeys: access.appKeys }) : undefined;
  registry.apps = apps;
  const mounted: Array<Service | undefined> = [portal, ...plane.services, apps];
  const services = mounted.filter((service): service is Service => service !== undefined);
  const mqttPortToTell = (): number => advertisedMqttPort(config, plane.hub);

  const app = createHttpApp({ logger: log, metrics, trustProxy: config.embedded.TRUST_PROXY });
  app.get('/healthz', (_req, res) => {
    const { healthy, body } = base.health.report();
    res.status(healthy ? 200 : 503).json(body);
  });
  // Only with a service token: without one no other process may call this one.
  if (token !== undefined) {
    const internal = services.flatMap((service) => (service.internalRoutes ? [service.internalRoutes] : []));
    if (internal.length > 0) app.use(INTERNAL_API_PREFIX, requireServiceToken(token), ...internal);
  }
  for (const service of services) if (service.apiRoutes) app.use('/api/v1', service.apiRoutes);
  // Built on first request, then kept: they change only with the code (and the MQTT port).
  let openApi: object | undefined;
  let asyncApi: object | undefined;
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json((openApi ??= buildOpenApiDocument()));
  });
  app.get('/api/v1/asyncapi.json', (_req, res) => {
    res.json((asyncApi ??= buildAsyncApiDocument({ host: config.devices.CITUS_MQTT_ENDPOINT, port: mqttPortToTell() })));
  });
  for (const service of services) if (service.rootRoutes) app.use(service.rootRoutes);
  finishHttpApp(app);

  for (const service of services) await service.start?.();
  const server = createServer(app);
  // WebSockets (MQTT at /mqtt): the service that serves the path takes the upgrade; none, no upgrade.
  server.on('upgrade', (req, socket, head) => {
    if (!services.some((service) => service.handleUpgrade?.(req, socket, head))) socket.destroy();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(config.embedded.PORT, config.embedded.HOST, done);
  });
  base.shutdown.add('http server', () => closeHttp(server));
  base.shutdown.add('health', () => {
    base.health.markStopping();
    base.events.emit('platform.stopping', {});
  });
  const metricsServer = await serveMetricsIfAsked(metrics, config.embedded, log);
  if (metricsServer) base.shutdown.add('metrics server', () => metricsServer.close());
  setHttpReady(true);

  const address = server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.embedded.PORT;
  const { dataDir } = base;
  const mqttPort = plane.hub?.mqttPort();
  log.info({ services: [...runs], httpPort, mqttPort, dataDir }, 'Citus IoT platform ready');
  return {
    httpPort,
    dataDir,
    services: [...runs],
    ...(mqttPort === undefined ? {} : { mqttPort }),
    ...(plane.caPem === undefined ? {} : { caPem: plane.caPem }),
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    logger: log,
    shutdown: base.shutdown,
    stop: () => base.shutdown.run('stop'),
    routes: () => routesOf(app.router.stack as RouterLayer[]),
  };
}

function serveMetricsIfAsked(metrics: Metrics, config: EmbeddedConfig, logger: Logger) {
  if (config.METRICS_PORT === undefined) return Promise.resolve(undefined);
  return serveMetrics(metrics, { port: config.METRICS_PORT, host: config.METRICS_HOST, token: config.CITUS_METRICS_TOKEN, logger });
}

/** What express 5's router keeps of a route or a mounted router (`rawPath` is router 2.3's). */
interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle: unknown;
  rawPath?: unknown;
}

/**
 * The routes of a router stack, nested routers included. A router mounted at a path that is not
 * a plain string shows as `<unknown mount>`, so the drift test fails instead of missing its routes.
 */
function routesOf(stack: RouterLayer[], prefix = ''): HttpRoute[] {
  return stack.flatMap((layer): HttpRoute[] => {
    const route = layer.route;
    if (route) {
      const methods = Object.keys(route.methods).filter((method) => route.methods[method]);
      return methods.map((method) => ({ method: method.toUpperCase(), path: `${prefix}${String(route.path)}` }));
    }
    const nested = (layer.handle as { stack?: unknown } | undefined)?.stack;
    if (!Array.isArray(nested)) return [];
    const mount = typeof layer.rawPath === 'string' ? layer.rawPath.replace(/\/$/, '') : '<unknown mount>';
    return routesOf(nested as RouterLayer[], `${prefix}${mount}`);
  });
}

/** Stops accepting, lets in-flight requests finish for a few seconds, then cuts streams. */
async function closeHttp(server: Server): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 5_000);
  await closed;
  clearTimeout(timer);
}
