import { Document } from 'yaml';
import type { ApiRoute } from './api-route.js';
import { API_ROUTES } from './api-routes.js';
import {
  ANONYMOUS_CONSUMER,
  APP_PROXY_BODY_LIMIT_MB,
  cors,
  keyAuth,
  OPERATION_RATE_LIMITS,
  PORTAL_ORIGIN_PLACEHOLDER,
  rateLimiting,
  requestSizeLimiting,
  type KongPlugin,
} from './kong-plugins.js';

/** The platform's services, as DESIGN.md lays them out; `platform` stands for what every process serves. */
export type PlatformService = 'platform' | 'portal' | 'device-lifecycle' | 'iot-hub' | 'indexer' | 'app-registry' | 'analytics';

/**
 * Where each service answers, by its compose service name (CITUS_SERVICES of each container): every
 * service runs in a container of its own, the hub's being `platform` (the only one with MQTT).
 * Health and the API documents (tag `platform`) are served by every process; the hub's answers
 * them here, since only it knows the MQTT port that the AsyncAPI document names.
 */
export const KONG_UPSTREAMS: Readonly<Record<PlatformService, string>> = {
  platform: 'http://platform:8080',
  portal: 'http://portal:8080',
  'device-lifecycle': 'http://device-lifecycle:8080',
  'iot-hub': 'http://platform:8080',
  indexer: 'http://indexer:8080',
  'app-registry': 'http://app-registry:8080',
  analytics: 'http://analytics:8080',
};

/** Which service serves the operations of each tag of the route table. */
export const SERVICE_OF_TAG: Readonly<Record<string, PlatformService>> = {
  platform: 'platform',
  identity: 'portal',
  devices: 'device-lifecycle',
  releases: 'device-lifecycle',
  telemetry: 'iot-hub',
  shadows: 'iot-hub',
  jobs: 'iot-hub',
  policies: 'iot-hub',
  rules: 'iot-hub',
  'thing-groups': 'iot-hub',
  provisioning: 'iot-hub',
  search: 'indexer',
  apps: 'app-registry',
  analytics: 'analytics',
  alerts: 'analytics',
};

export interface KongRoute {
  name: string;
  methods: string[];
  /** `~` starts a regex, which Kong anchors at the start of the path; anything else is a prefix. */
  paths: string[];
  strip_path: false;
  preserve_host: true;
  response_buffering?: false;
  plugins?: KongPlugin[];
}

export interface KongService {
  name: string;
  url: string;
  read_timeout?: number;
  write_timeout?: number;
  routes: KongRoute[];
}

export interface KongConfig {
  _format_version: '3.0';
  _transform: true;
  consumers: Array<{ username: string }>;
  services: KongService[];
  plugins: KongPlugin[];
}

/**
 * The hub's MQTT over WebSocket lives on a Kong service of its own, since timeouts belong to
 * services: after the upgrade, Kong's read timeout is the idle time it allows the tunnel. Devices
 * on AWS IoT Device SDKs keep alive every 1,200 s (AWS IoT's maximum), and a server waits one and
 * a half keep-alives before giving up on a client [MQTT-3.1.2-24].
 */
const MQTT_WEBSOCKET_SERVICE = { name: 'iot-hub-mqtt-websocket', service: 'iot-hub', timeoutMs: 1_800_000 } as const;

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** `/api/v1/devices/{id}` -> `~/api/v1/devices/[^/]+$`: one segment per parameter, nothing after the path. */
export function kongPathOf(openApiPath: string): string {
  const pattern = openApiPath
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')))
    .join('');
  return `~${pattern}$`;
}

const isStream = (route: ApiRoute): boolean =>
  Object.values(route.responses).some((response) => response?.contentType === 'text/event-stream');

function tableRoute(route: ApiRoute): KongRoute {
  const plugins: KongPlugin[] = [];
  if (route.apiKeyScope) plugins.push(keyAuth());
  const limits = OPERATION_RATE_LIMITS[route.operationId];
  if (limits) plugins.push(rateLimiting(limits));
  // An upload route's own limit takes the place of the gateway-wide one for this route.
  if (route.upload) plugins.push(requestSizeLimiting(route.upload.maxMegabytes));
  return {
    name: route.operationId,
    methods: [route.method.toUpperCase()],
    paths: [kongPathOf(route.path)],
    strip_path: false,
    // The platform sees the host the client asked for, not the compose service name.
    preserve_host: true,
    // Event streams must reach the browser as they are written, not when a buffer fills.
    ...(isStream(route) ? { response_buffering: false as const } : {}),
    ...(plugins.length > 0 ? { plugins } : {}),
  };
}

/** What the platform serves outside the REST API's route table, each with the service that serves it. */
function otherRoutes(): Array<{ service: PlatformService | typeof MQTT_WEBSOCKET_SERVICE.name; route: KongRoute }> {
  const base = { strip_path: false, preserve_host: true } as const;
  return [
    {
      // The web UI's static files, which sit at the top of the portal's public folder.
      service: 'portal',
      route: { name: 'webUi', methods: ['GET', 'HEAD'], paths: ['~/$', '~/[A-Za-z0-9_-]+\\.(?:html|js|css|svg|png|ico)$'], ...base },
    },
    {
      // Deployed apps, proxied by the platform after it authenticates the caller; any method the app takes.
      service: 'app-registry',
      route: { name: 'appProxy', methods: ALL_METHODS, paths: ['/apps/'], ...base, plugins: [requestSizeLimiting(APP_PROXY_BODY_LIMIT_MB)] },
    },
    {
      // Kong passes WebSocket upgrades on http routes; the device authenticates inside MQTT.
      service: MQTT_WEBSOCKET_SERVICE.name,
      route: { name: 'mqttWebSocket', methods: ['GET'], paths: ['~/mqtt$'], ...base, response_buffering: false },
    },
    {
      // Routes name their methods exactly, so a browser's CORS preflight would match none of them;
      // this one takes every preflight, which the global cors plugin answers.
      service: 'platform',
      route: { name: 'corsPreflight', methods: ['OPTIONS'], paths: ['/api/v1/', '/.well-known/'], ...base },
    },
  ];
}

function serviceOf(route: ApiRoute): PlatformService {
  const service = SERVICE_OF_TAG[route.tag];
  if (!service) throw new Error(`no platform service serves the tag ${route.tag} (${route.operationId}): add it to SERVICE_OF_TAG`);
  return service;
}

/** Kong's declarative config for the gateway in front of the platform, from the route table. */
export function buildKongConfig(routes: readonly ApiRoute[] = API_ROUTES): KongConfig {
  const services = new Map<string, KongService>();
  for (const name of Object.keys(KONG_UPSTREAMS) as PlatformService[]) {
    services.set(name, { name, url: KONG_UPSTREAMS[name], routes: [] });
  }
  services.set(MQTT_WEBSOCKET_SERVICE.name, {
    name: MQTT_WEBSOCKET_SERVICE.name,
    url: KONG_UPSTREAMS[MQTT_WEBSOCKET_SERVICE.service],
    read_timeout: MQTT_WEBSOCKET_SERVICE.timeoutMs,
    write_timeout: MQTT_WEBSOCKET_SERVICE.timeoutMs,
    routes: [],
  });
  const add = (service: string, route: KongRoute) => {
    const entry = services.get(service);
    if (!entry) throw new Error(`no Kong service ${service} for the route ${route.name}`);
    entry.routes.push(route);
  };
  for (const route of routes) add(serviceOf(route), tableRoute(route));
  for (const { service, route } of otherRoutes()) add(service, route);
  return {
    _format_version: '3.0',
    _transform: true,
    consumers: [{ username: ANONYMOUS_CONSUMER }],
    services: [...services.values()].filter((service) => service.routes.length > 0),
    plugins: [cors(), rateLimiting(), requestSizeLimiting()],
  };
}

const HEADER = `Kong 3.x declarative config (DB-less) for the gateway in front of the platform.
Generated from the route table (packages/contracts/src/api-routes.ts) by \`npm run kong:generate\`:
do not edit; a test fails when this file and the table differ.

The Admin API has no place here and must stay off (KONG_ADMIN_LISTEN=off, or at most bound to
127.0.0.1 inside the container and never published): this file is the whole configuration.
${PORTAL_ORIGIN_PLACEHOLDER} is replaced from the environment before Kong loads the file; Kong
substitutes nothing itself. No API key is in this file: the platform makes, hashes and checks them.
Kong's proxy access log records request paths, and webhook URLs (/hooks/...) carry their secret in
the path: keep that log off, or give it a format without the request line.`;

/** The config as YAML, the same bytes on every run. */
export function renderKongYaml(config: KongConfig = buildKongConfig()): string {
  const document = new Document(config);
  document.commentBefore = HEADER.split('\n').map((line) => (line ? ` ${line}` : '')).join('\n');
  return document.toString({ lineWidth: 0 });
}
